import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Db } from '../data/db';
import { verifyAuditChain } from '../governance/audit-chain';
import type { Logger } from '../log';
import type { RefreshClient } from '../temporal/refresh-client';
import { checkHealth } from './health';
import { openRuns } from './running-runs';
import { deliveryLag, ingestTotals, publishedSizes, runsByOutcome } from './state-queries';

// The API's /metrics: the state of the installation, read on each scrape (cached briefly) from
// PostgreSQL and Temporal. The worker's own endpoint has the SDK's metrics and what activities
// count as they go (src/worker/runtime.ts, src/activities/metrics.ts).

export interface ApiMetrics {
  contentType: string;
  render(): Promise<string>;
}

/** Scrapes within this long reuse the last reading: Prometheus, a dashboard and a person may all ask. */
const FRESH_MS = 5_000;
/** The audit chain is re-verified at most this often: it is read in full. */
const AUDIT_EVERY_MS = 5 * 60_000;

export function createApiMetrics(deps: { db: Db; refreshes: RefreshClient; log: Logger }): ApiMetrics {
  const log = deps.log.child({ component: 'metrics' });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cohortflow_api_' });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });

  const health = gauge('cohortflow_health', '1 when the check passes: postgres, temporal, worker', ['check']);
  const runs = gauge('cohortflow_runs', 'Refresh runs recorded, by outcome (running: none yet)', ['outcome']);
  const rows = gauge('cohortflow_ingested_rows', 'Rows read by every ingest so far, by source and result', [
    'source',
    'result',
  ]);
  const quarantine = gauge('cohortflow_quarantine_ratio', "Share of the latest ingest's rows quarantined", ['source']);
  const members = gauge('cohortflow_cohort_members', 'Members of the published version of each cohort', ['cohort']);
  const lag = gauge('cohortflow_delivery_lag_seconds', 'Age of the oldest unacknowledged delivery (0: none)', [
    'destination',
  ]);
  const pending = gauge('cohortflow_delivery_pending_batches', 'Batches planned and not acknowledged', ['destination']);
  const open = gauge('cohortflow_runs_open', 'Refresh runs open now, by stage', ['stage']);
  const stepAge = gauge('cohortflow_run_step_seconds', 'How long each open run has been in its current step', [
    'run_id',
    'stage',
    'step',
  ]);
  const waiting = gauge('cohortflow_approvals_waiting', 'Runs waiting at the approval gate');
  const waitAge = gauge('cohortflow_approval_wait_seconds', 'How long each waiting run has waited', ['run_id']);
  const deadline = gauge('cohortflow_approval_deadline_seconds', 'Seconds until each waiting run expires', ['run_id']);
  const chainIntact = gauge('cohortflow_audit_chain_intact', '1 when the audit chain verified intact, 0 when broken');
  const chainRows = gauge('cohortflow_audit_chain_rows', 'Rows of the audit chain at its last verification');
  const chainAt = gauge('cohortflow_audit_chain_verified_timestamp_seconds', 'When the audit chain was last verified');

  const readingOk = gauge('cohortflow_metrics_reading_ok', '1 when the last scrape could read this part', ['reading']);

  let lastVerified = 0;
  const readings: Array<[string, Gauge[], () => Promise<void>]> = [
    [
      'health',
      [health],
      async () => {
        const report = await checkHealth({
          db: deps.db,
          client: deps.refreshes.client,
          taskQueue: deps.refreshes.taskQueue,
          log,
        });
        for (const [check, r] of Object.entries(report.checks)) health.set({ check }, r.ok ? 1 : 0);
      },
    ],
    [
      'runs',
      [runs],
      async () =>
        setAll(
          runs,
          (await runsByOutcome(deps.db)).map((r) => [{ outcome: r.outcome }, r.runs]),
        ),
    ],
    [
      'ingest',
      [rows, quarantine],
      async () => {
        const totals = await ingestTotals(deps.db);
        setAll(
          rows,
          totals.flatMap((t) => [
            [{ source: t.source, result: 'stored' }, t.stored],
            [{ source: t.source, result: 'duplicate' }, t.duplicates],
            [{ source: t.source, result: 'quarantined' }, t.quarantined],
          ]),
        );
        setAll(
          quarantine,
          totals.map((t) => [{ source: t.source }, t.lastQuarantineRatio]),
        );
      },
    ],
    [
      'cohorts',
      [members],
      async () =>
        setAll(
          members,
          (await publishedSizes(deps.db)).map((c) => [{ cohort: c.cohortId }, c.size]),
        ),
    ],
    [
      'deliveries',
      [lag, pending],
      async () => {
        const d = await deliveryLag(deps.db);
        setAll(
          lag,
          d.map((x) => [{ destination: x.destination }, x.lagSeconds]),
        );
        setAll(
          pending,
          d.map((x) => [{ destination: x.destination }, x.pendingBatches]),
        );
      },
    ],
    [
      'open runs',
      [open, stepAge, waiting, waitAge, deadline],
      async () => {
        const now = Date.now();
        // Bounded: a Temporal that does not answer costs a scrape seconds, not minutes.
        const connection = deps.refreshes.client.connection;
        const list = await connection.withDeadline(Date.now() + 5_000, () => openRuns(deps.refreshes));
        const byStage = new Map<string, number>();
        for (const r of list) byStage.set(r.stage, (byStage.get(r.stage) ?? 0) + 1);
        setAll(
          open,
          [...byStage].map(([stage, n]) => [{ stage }, n]),
        );
        setAll(
          stepAge,
          list.flatMap((r) => {
            const p = r.status?.progress;
            return p ? [[{ run_id: r.runId, stage: r.stage, step: p.step }, (now - Date.parse(p.since)) / 1000]] : [];
          }),
        );
        const gate = list.filter((r) => r.stage === 'awaiting-approval');
        waiting.set(gate.length);
        const pendingApprovals = gate.flatMap((r) =>
          r.status?.pendingApproval ? [[r.runId, r.status.pendingApproval] as const] : [],
        );
        setAll(
          waitAge,
          pendingApprovals.map(([id, p]) => [{ run_id: id }, (now - Date.parse(p.since)) / 1000]),
        );
        setAll(
          deadline,
          pendingApprovals.map(([id, p]) => [{ run_id: id }, (Date.parse(p.deadline) - now) / 1000]),
        );
      },
    ],
    [
      'audit chain',
      [],
      async () => {
        if (Date.now() - lastVerified < AUDIT_EVERY_MS) return;
        const report = await verifyAuditChain(deps.db);
        lastVerified = Date.now();
        chainIntact.set(report.ok ? 1 : 0);
        chainRows.set(report.rows);
        chainAt.set(lastVerified / 1000);
        if (!report.ok) log.error({ brokenAt: report.brokenAt }, 'the audit chain is broken');
      },
    ],
  ];

  let reading: Promise<void> | undefined;
  let readAt = 0;
  const read = async () => {
    // Each reading on its own: PostgreSQL away still reports Temporal's figures, and the reverse.
    // What could not be read is left out rather than shown stale.
    await Promise.all(
      readings.map(([what, gauges, fn]) =>
        fn().then(
          () => readingOk.set({ reading: what }, 1),
          (err: unknown) => {
            for (const g of gauges) g.reset();
            readingOk.set({ reading: what }, 0);
            log.warn({ err, what }, 'metrics: could not read; left out of this scrape');
          },
        ),
      ),
    );
    readAt = Date.now();
  };
  return {
    contentType: registry.contentType,
    async render() {
      if (Date.now() - readAt > FRESH_MS) {
        reading ??= read().finally(() => (reading = undefined));
        await reading;
      }
      return registry.metrics();
    },
  };
}

/** Replaces every labelled value of the gauge, so a cohort or run that is gone disappears. */
function setAll(g: Gauge, values: Array<[Record<string, string>, number]>): void {
  g.reset();
  for (const [labels, value] of values) g.set(labels, value);
}
