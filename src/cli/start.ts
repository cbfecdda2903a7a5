import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { claimDataDir } from '../instance/instance-file';
import { makePrivate } from '../instance/private-folder';
import type { Logger } from '../log';
import { startSystem } from '../system';
import { printBanner } from './banner';

/**
 * `cohortflow start`: the one instance on its data folder (a second start says who runs and
 * exits 1 before touching anything), every file it creates private to this OS user, until
 * Ctrl-C, SIGTERM, or an embedded server ending on its own (then it stops the rest and exits 1).
 */
export async function runStart(log: Logger): Promise<void> {
  const config = loadConfig();
  process.umask(0o077);
  // Listening from the start: Ctrl-C while starting stops once the start is complete; a second
  // Ctrl-C exits at once, and the watchdog stops the servers.
  let signalled = false;
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (signalled) process.exit(130);
      signalled = true;
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const claim = await claimDataDir(config.dataDir, log);
  let system;
  try {
    makePrivate(config.dataDir);
    const pglite = path.join(config.dataDir, 'pglite');
    if (fs.existsSync(pglite))
      log.warn({ dir: pglite }, 'PGlite data of an earlier version is no longer read; delete it');
    system = await startSystem(config, log, claim);
  } catch (err) {
    claim.release();
    throw err;
  }
  claim.update({
    apiUrl: system.apiUrl,
    temporalAddress: system.temporalAddress,
    uiUrl: system.uiUrl,
    postgres: system.postgresUrl,
  });
  if (!signalled) printBanner(config, system);
  const failure = await Promise.race([
    stopRequested.then(() => undefined),
    system.failed ?? new Promise<never>(() => {}),
  ]);
  if (failure) log.error({ err: failure }, 'an embedded server stopped; shutting down');
  await system.stop();
  claim.release();
  log.info('stopped');
  if (failure) throw failure;
}
