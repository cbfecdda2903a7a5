import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { watchdogGuard } from '../instance/guard';
import { startWatchdog, type Watchdog } from '../instance/watchdog';
import { createLogger } from '../log';

export interface ThrowawayPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL (the embedded one `npm start` runs, without fsync) in a private temp
 * folder, for the tests and benchmarks. Its watchdog stops it and deletes the folder if this
 * process ends without calling stop().
 */
export async function startThrowawayPostgres(label: string, dir?: string): Promise<ThrowawayPostgres> {
  const home = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `cohortflow-${label}-`));
  fs.mkdirSync(path.dirname(home), { recursive: true });
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const watchdog: Watchdog = startWatchdog({ logFile: path.join(home, 'watchdog.log') });
  if (!dir) watchdog.removeOnExit(home);
  let server: EmbeddedPostgres;
  try {
    server = await startEmbeddedPostgres({
      dir: path.join(home, 'cluster'),
      passwordFile: path.join(home, 'password'),
      logFile: path.join(home, 'postgres.log'),
      throwaway: true,
      guard: watchdogGuard(watchdog),
      log: createLogger('warn'),
    });
  } catch (err) {
    watchdog.close();
    throw err;
  }
  return {
    url: server.url,
    async stop() {
      await server.stop();
      watchdog.close();
      if (!dir) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
