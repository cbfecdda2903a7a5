import {
  estimateSeconds,
  runProgress,
  STALE_HEARTBEAT_MS,
  type PendingActivity,
} from '../../src/temporal/run-progress';
import type { DeliveryHeartbeat, IngestHeartbeat } from '../../src/shared';

// A run's progress from the workflow's step and counts plus the pending activities' heartbeats:
// what `refresh status` and `refresh watch` show, and the estimate of time left.

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const started = (activity: string, details?: unknown, extra: Partial<PendingActivity> = {}): PendingActivity => ({
  activity,
  state: 'started',
  attempt: 1,
  lastStartedAt: ago(10),
  lastHeartbeatAt: ago(2),
  details,
  ...extra,
});

describe('the estimate of time left', () => {
  it.each([
    [0.5, 60_000, 60],
    [0.25, 30_000, 90],
    [0.9, 90_000, 10],
  ])('a share of %p done in %p ms leaves %p s at that rate', (fraction, elapsed, left) => {
    expect(estimateSeconds(fraction, elapsed)).toBe(left);
  });

  it.each([[undefined], [0], [1]])('is not told for a share of %p (no rate yet, or done)', (fraction) => {
    expect(estimateSeconds(fraction, 10_000)).toBeUndefined();
  });
});

describe('a run in ingest', () => {
  const beat: IngestHeartbeat = {
    kind: 'ingest',
    source: 'product',
    file: 'product-2026-02.ndjson',
    files: { done: 3, total: 4 },
    rows: 150_000,
    chunks: 3,
    startedAt: ago(30).toISOString(),
  };

  it('shows files, rows and chunks from the heartbeat, the share of files done and the time left', () => {
    const p = runProgress({ step: 'ingest', since: ago(40).toISOString() }, [started('ingestSources', beat)], NOW);
    expect(p).toMatchObject({ step: 'ingest', files: { done: 3, total: 4 }, rows: 150_000, chunks: 3, fraction: 0.75 });
    // Three quarters in the 30 s since the attempt started: 10 s more.
    expect(p.etaSeconds).toBe(10);
    expect(p.note).toBeUndefined();
  });

  it('says so when the activity has not heartbeated for a while (a worker that died mid-ingest)', () => {
    const silent = started('ingestSources', beat, { lastHeartbeatAt: ago(95), lastWorker: '4242@host' });
    const p = runProgress({ step: 'ingest', since: ago(200).toISOString() }, [silent], NOW);
    expect(p.note).toMatch(/ingestSources: no heartbeat for 95 s from 4242@host/);
    expect(p.note).toMatch(/retries the activity on another one when its heartbeat timeout passes/);
  });

  it('names the attempt waiting to retry and why the last one failed', () => {
    const retrying: PendingActivity = {
      activity: 'ingestSources',
      state: 'scheduled',
      attempt: 3,
      lastFailure: 'Connection terminated unexpectedly',
      nextAttemptAt: new Date(NOW.getTime() + 4_000),
    };
    const p = runProgress({ step: 'ingest', since: ago(60).toISOString() }, [retrying], NOW);
    expect(p.activities).toEqual([
      { activity: 'ingestSources', state: 'scheduled', attempt: 3, lastFailure: 'Connection terminated unexpectedly' },
    ]);
    expect(p.note).toBe(
      'ingestSources: attempt 3 scheduled at 2026-03-01T12:00:04.000Z; the last one failed: Connection terminated unexpectedly',
    );
  });

  it('says when no worker has picked the activity up', () => {
    const unpicked: PendingActivity = {
      activity: 'ingestSources',
      state: 'scheduled',
      attempt: 1,
      scheduledAt: ago(45),
    };
    expect(runProgress({ step: 'ingest', since: ago(45).toISOString() }, [unpicked], NOW).note).toMatch(
      /waiting 45 s for a worker to pick it up/,
    );
  });

  it(`stays quiet about a heartbeat younger than ${STALE_HEARTBEAT_MS / 1000} s`, () => {
    const p = runProgress({ step: 'ingest', since: ago(60).toISOString() }, [started('ingestSources', beat)], NOW);
    expect(p.note).toBeUndefined();
  });
});

describe('a run computing its cohorts', () => {
  it('counts the cohorts the workflow finished and estimates from their rate', () => {
    const p = runProgress(
      { step: 'cohorts', since: ago(20).toISOString(), cohorts: { done: 4, total: 12 } },
      [started('computeCohort'), started('computeCohort')],
      NOW,
    );
    expect(p).toMatchObject({ cohorts: { done: 4, total: 12 }, fraction: 0.3333, etaSeconds: 40 });
  });
});

describe('a run delivering', () => {
  it('adds the batches of the deliveries running and counts a cohort half delivered as half', () => {
    const delivery = (cohortId: string, done: number, total: number): DeliveryHeartbeat => ({
      kind: 'delivery',
      cohortId,
      destination: 'crm-sync',
      batches: { done, total },
    });
    const p = runProgress(
      { step: 'deliver', since: ago(30).toISOString(), cohorts: { done: 1, total: 4 } },
      [started('deliverCohort', delivery('payers', 5, 10)), started('deliverCohort', delivery('churned', 0, 2))],
      NOW,
    );
    expect(p).toMatchObject({ batches: { done: 5, total: 12 }, fraction: 0.375, etaSeconds: 50 });
  });
});
