import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import type { ChildGuard } from './guard';
import { isRunning, processRef, stopProcess, type ProcessRef, type StopPlan } from './process-identity';
import { startWatchdog, type Watchdog } from './watchdog';

/**
 * `<data folder>/instance.json`: who runs on this data folder (pid and start time of the
 * `cohortflow start` process), where it serves, and the servers it started. Created exclusively
 * before anything else is touched, so a second start on the same folder stops right there.
 */
export interface InstanceRecord {
  owner: ProcessRef;
  apiUrl?: string;
  temporalAddress?: string;
  uiUrl?: string;
  postgres?: string;
  children: Array<{ name: string; ref: ProcessRef; plan: StopPlan }>;
}

export class AlreadyRunning extends Error {
  constructor(readonly record: InstanceRecord) {
    super(
      `already running (pid ${record.owner.pid}, API on ${record.apiUrl ?? 'not listening yet'}, ` +
        `Temporal on ${record.temporalAddress ?? 'not started yet'})`,
    );
  }
}

export interface InstanceClaim extends ChildGuard {
  readonly record: InstanceRecord;
  update(fields: Partial<Omit<InstanceRecord, 'owner' | 'children'>>): void;
  /** After an orderly stop: the watchdog goes, the file goes. */
  release(): void;
}

const WATCHDOG_STOP: StopPlan = [['SIGKILL', 5_000]];

function read(file: string): { text: string; record?: InstanceRecord } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
    return { text, record: JSON.parse(text) as InstanceRecord };
  } catch {
    return { text };
  }
}

function write(file: string, record: InstanceRecord): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(record, null, 2), { mode: 0o600 });
  fs.renameSync(temp, file);
}

/**
 * Makes this process the one instance on dataDir. A live owner: AlreadyRunning, nothing changed.
 * A dead one (killed, crashed): its servers still running are stopped first, each checked to be
 * the very process it recorded, and said so in the log.
 */
export async function claimDataDir(dataDir: string, log: Logger): Promise<InstanceClaim> {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'instance.json');
  const owner = processRef(process.pid, '')!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const record: InstanceRecord = { owner, children: [] };
    try {
      fs.writeFileSync(file, JSON.stringify(record, null, 2), { flag: 'wx', mode: 0o600 });
      return claimed(file, record, dataDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const previous = read(file);
    if (!previous.record) {
      // Being written this very moment by another start, or left half-written by a crash.
      const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < 2_000) {
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
    } else if (isRunning(previous.record.owner)) {
      throw new AlreadyRunning(previous.record);
    } else {
      await stopLeftovers(previous.record, log);
    }
    // Only the file we judged: another start may have claimed the folder meanwhile.
    if (read(file).text === previous.text) fs.rmSync(file, { force: true });
  }
  throw new Error(`could not claim ${file}: it keeps changing; is another cohortflow start running?`);
}

async function stopLeftovers(previous: InstanceRecord, log: Logger): Promise<void> {
  const watchdog = previous.children.find((c) => c.name === 'watchdog');
  // The previous watchdog is stopping its servers already: give it the time that takes.
  const deadline = Date.now() + 45_000;
  while (watchdog && isRunning(watchdog.ref) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const child of previous.children) {
    if (!isRunning(child.ref)) continue;
    const stopped = await stopProcess(child.ref, child.plan);
    log.warn(
      { name: child.name, pid: child.ref.pid, previousPid: previous.owner.pid, stopped },
      'stopped a server left running by a cohortflow start that did not shut down',
    );
    if (!stopped)
      throw new Error(`could not stop ${child.name} (pid ${child.ref.pid}) left by pid ${previous.owner.pid}`);
  }
}

function claimed(file: string, record: InstanceRecord, dataDir: string): InstanceClaim {
  const watchdog: Watchdog = startWatchdog({ logFile: path.join(dataDir, 'watchdog.log') });
  record.children.push({ name: 'watchdog', ref: watchdog.ref, plan: WATCHDOG_STOP });
  write(file, record);
  return {
    record,
    track(name, ref, plan) {
      watchdog.watch(name, ref, plan);
      record.children.push({ name, ref, plan });
      write(file, record);
    },
    untrack(pid) {
      watchdog.unwatch(pid);
      record.children = record.children.filter((c) => c.ref.pid !== pid);
      write(file, record);
    },
    update(fields) {
      Object.assign(record, fields);
      write(file, record);
    },
    release() {
      watchdog.close();
      if (read(file).record?.owner.startTime === record.owner.startTime) fs.rmSync(file, { force: true });
    },
  };
}
