import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { keyringEntryOf, loadSigningKeyFile } from '../src/governance/proof-keys';
import { createLogger } from '../src/log';
import type { RefreshStatus } from '../src/shared';
import { startSystem } from '../src/system';
import { benchDataFromArgs, HELD_DAYS } from './compute-data';
import { startExtraWorkers, type ExtraWorkers } from './extra-workers';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Interval {
  type: string;
  /** The worker that ran it (its identity, pid@host). */
  worker: string;
  start: number;
  end: number;
}

/**
 * A refresh end to end as a user starts one: the whole system (`npm start`'s composition: the
 * Temporal dev server, the worker, the API) over a copy of the template, its source folder
 * holding the days the template held back. Times start → approval gate, and splits it into the
 * activities' own time and the rest (Temporal's overhead: scheduling, workflow tasks, polling);
 * reports the run's history and this process's peak RSS (the worker runs in it).
 */
export async function benchRefresh(args: string[]): Promise<void> {
  const data = await benchDataFromArgs(args, { workers: { type: 'string', default: '1' } });
  const workers = Number(data.options.workers);
  // The template's history came in one ingest; a live installation refreshing weekly would have
  // had weekly ingests, which the volume check compares the new week with. Scaled to one week.
  const weeks = (data.scale.days - HELD_DAYS) / HELD_DAYS;
  await data.db.query('UPDATE source_ingests SET rows_read = round(rows_read / $1::numeric)', [weeks]);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-bench-refresh-'));
  fs.chmodSync(home, 0o711);
  const operator = crypto.randomBytes(24).toString('hex');
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const env: Record<string, string> = {
    COHORTFLOW_HOME: path.resolve(__dirname, '..'),
    COHORTFLOW_DATA_DIR: path.join(home, 'data'),
    COHORTFLOW_SOURCE_DIR: data.heldDir,
    DATABASE_URL: data.url,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    COHORTFLOW_TASK_QUEUE: `bench-${crypto.randomBytes(4).toString('hex')}`,
    API_PORT: '0',
    ROLLBACK_WATCH_WINDOW: '0s',
    COHORTFLOW_TOKENS: JSON.stringify({ [operator]: { user: 'olivia', roles: ['operator', 'viewer'] } }),
  };
  const system = await startSystem(loadConfig(env), createLogger('warn'));
  const connection = await Connection.connect({ address: system.temporalAddress });
  let extra: ExtraWorkers | undefined;
  try {
    if (workers > 1) {
      // Workers verify decisions with the key the system made in its data folder.
      const signer = loadSigningKeyFile(path.join(env.COHORTFLOW_DATA_DIR!, 'decision-signing-key.pem'));
      extra = await startExtraWorkers(workers - 1, {
        ...env,
        TEMPORAL_ADDRESS: system.temporalAddress,
        DECISION_VERIFY_KEYS: JSON.stringify(keyringEntryOf(signer)),
      });
    }
    const call = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
      const response = await fetch(`${system.apiUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${operator}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const answer = (await response.json()) as Record<string, unknown>;
      if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    peakRss = process.memoryUsage().rss; // from here on: the refresh's own footprint
    const t0 = Date.now();
    const started = await call('POST', '/refreshes', { tier: 'all', rationale: 'refresh benchmark' });
    const id = started.workflowId as string;
    let status: RefreshStatus;
    for (;;) {
      status = (await call('GET', `/refreshes/${id}`)) as unknown as RefreshStatus;
      if (status.stage === 'awaiting-approval' || status.stage === 'done') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wallMs = Date.now() - t0;
    if (status.stage !== 'awaiting-approval')
      throw new Error(`the refresh ended before the gate: ${status.outcome} ${status.failure ?? ''}`);

    const client = new Client({ connection });
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    const bytes = Buffer.byteLength(JSON.stringify(history));
    const activities = activityIntervals(events);
    const busyMs = unionMs(activities);
    const byType = new Map<string, number>();
    for (const a of activities) byType.set(a.type, (byType.get(a.type) ?? 0) + (a.end - a.start));
    const top = [...byType].sort((a, b) => b[1] - a[1]).slice(0, 4);
    const ingest = status.ingest!;
    // The compute stage: the measures pass, then the cohort activities (spread over the workers).
    const compute = activities.filter((a) => a.type === 'materialiseRunMeasures' || a.type === 'computeCohort');
    const computeMs = Math.max(...compute.map((a) => a.end)) - Math.min(...compute.map((a) => a.start));
    const perWorker = new Map<string, { count: number; ms: number }>();
    for (const a of compute) {
      const w = perWorker.get(a.worker) ?? { count: 0, ms: 0 };
      perWorker.set(a.worker, { count: w.count + 1, ms: w.ms + a.end - a.start });
    }
    const extraRss = extra?.peakRss() ?? [];
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const lines = [
      `refresh benchmark — ${n(data.scale.customers)} customers × ${data.scale.days} days, the last ${HELD_DAYS} held back and ingested by the refresh`,
      `  to the gate   ${seconds(wallMs)} from POST /refreshes to awaiting-approval (target ≤ 60 s: ${(wallMs / 60_000).toFixed(2)}×)`,
      `  new data      ${n(ingest.rowsRead)} rows read, ${n(ingest.stored)} stored; ${status.cohorts.length} cohorts computed and tested`,
      `  activities    ${seconds(busyMs)} inside activities: ${top.map(([t, ms]) => `${t} ${seconds(ms)}`).join(', ')}`,
      `  overhead      ${seconds(wallMs - busyMs)} outside them (Temporal and polling; target < 2 s: ${((wallMs - busyMs) / 2000).toFixed(2)}×)`,
      `  compute       ${seconds(computeMs)} measures pass and cohort activities, on ${workers} worker process${workers > 1 ? 'es' : ''}: ${[...perWorker].map(([w, x]) => `${w} ran ${x.count} (${seconds(x.ms)})`).join(', ')}`,
      `  history       ${events.length} events, ${(bytes / 1024).toFixed(0)} KB at the gate (targets ≤ 200 events: ${(events.length / 200).toFixed(2)}×, ≤ 1 MB: ${(bytes / 2 ** 20).toFixed(2)}×)`,
      `  peak RSS      ${(peakRss / 2 ** 20).toFixed(0)} MiB in the process running the worker and the API (target ≤ 1 GiB: ${(peakRss / 2 ** 30).toFixed(2)}×)${extraRss.length ? `; the other workers ${extraRss.map((b) => `${(b / 2 ** 20).toFixed(0)} MiB`).join(', ')}` : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearInterval(sampler);
    await extra?.stop();
    await connection.close();
    await system.stop();
    await data.drop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

const millis = (t: HistoryEvent['eventTime']) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/** Each activity attempt's start → end, by its scheduled event. */
function activityIntervals(events: HistoryEvent[]): Interval[] {
  const scheduled = new Map<string, string>();
  const starts = new Map<string, { at: number; worker: string }>();
  const out: Interval[] = [];
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    const s = e.activityTaskStartedEventAttributes;
    if (s) starts.set(String(s.scheduledEventId), { at: millis(e.eventTime), worker: s.identity ?? '?' });
    const done =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (done) {
      const key = String(done.scheduledEventId);
      const start = starts.get(key);
      out.push({
        type: scheduled.get(key) ?? '?',
        worker: start?.worker ?? '?',
        start: start?.at ?? millis(e.eventTime),
        end: millis(e.eventTime),
      });
    }
  }
  return out;
}

/** Time covered by at least one interval. */
function unionMs(intervals: Interval[]): number {
  let total = 0;
  let end = -Infinity;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    if (i.end <= end) continue;
    total += i.end - Math.max(i.start, end);
    end = i.end;
  }
  return total;
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
