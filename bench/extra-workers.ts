import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ExtraWorkers {
  /** Each worker's peak resident set (VmHWM) so far, in bytes. */
  peakRss(): number[];
  stop(): Promise<void>;
}

/**
 * More worker processes on the same task queue, as `cohortflow worker` runs them on other
 * machines: each polls the queue and takes whichever activities it is handed. Up once each has
 * logged its task queue.
 */
export async function startExtraWorkers(count: number, env: Record<string, string>): Promise<ExtraWorkers> {
  const root = path.resolve(__dirname, '..');
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  for (let i = 0; i < count; i += 1) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
      cwd: root,
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    ready.push(
      new Promise<void>((resolve, reject) => {
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('"taskQueue"')) resolve();
        };
        child.stdout!.on('data', read);
        child.stderr!.on('data', read);
        child.once('exit', (code) => reject(new Error(`an extra worker exited with ${code}:\n${output}`)));
      }),
    );
  }
  await Promise.all(ready);
  return {
    peakRss: () =>
      children.map((c) => {
        const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
        return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      }),
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGINT');
            }),
        ),
      );
    },
  };
}
