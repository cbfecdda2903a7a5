import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';
import { generateSources } from '../../src/sources/generate';
import { temporalCliPath } from '../../src/temporal/binaries';
import type { RefreshStatus } from '../../src/shared';

// What the security tests share: the whole system on the Temporal dev server and PostgreSQL, and
// an attacker who reaches the Temporal frontend with the `temporal` CLI itself.

export const MORE_TOKENS = {
  carol: crypto.randomBytes(24).toString('hex'),
  /** An analyst who is also an approver. */
  dana: crypto.randomBytes(24).toString('hex'),
};

export function useSecuritySystem(
  options: { watchWindow?: string; env?: Record<string, string>; sourcesYaml?: string } = {},
) {
  const sys = {} as {
    temporal: TestWorkflowEnvironment;
    db: TestDatabase;
    h: Awaited<ReturnType<typeof startTestSystem>>;
    taskQueue: string;
    catalogDir: string;
    sourceDir?: string;
  };
  beforeAll(async () => {
    sys.temporal = await devServerEnv();
    sys.db = await freshDatabase('security');
    sys.taskQueue = `security-${crypto.randomBytes(4).toString('hex')}`;
    // A copy of the catalog: analysts change definitions in these tests.
    sys.catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-catalog-'));
    fs.cpSync(path.resolve(__dirname, '../../catalog'), sys.catalogDir, { recursive: true });
    if (options.sourcesYaml) {
      // Its own source folder, for a source configuration of the test's.
      sys.sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-sources-'));
      await generateSources(sys.sourceDir, { customers: 200, days: 60, seed: 7 });
      fs.writeFileSync(path.join(sys.sourceDir, 'sources.yaml'), options.sourcesYaml);
    }
    sys.h = await startTestSystem({
      temporalAddress: sys.temporal.connection.options.address,
      databaseUrl: sys.db.url,
      watchWindow: options.watchWindow,
      env: {
        COHORTFLOW_TASK_QUEUE: sys.taskQueue,
        COHORTFLOW_CATALOG_DIR: sys.catalogDir,
        ...(sys.sourceDir ? { COHORTFLOW_SOURCE_DIR: sys.sourceDir } : {}),
        COHORTFLOW_TOKENS: JSON.stringify({
          [TOKENS.operator]: { user: 'olivia', roles: ['operator', 'viewer'] },
          [TOKENS.approver]: { user: 'arthur', roles: ['approver', 'viewer'] },
          [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
          [MORE_TOKENS.carol]: { user: 'carol', roles: ['approver', 'viewer'] },
          [MORE_TOKENS.dana]: { user: 'dana', roles: ['analyst', 'approver', 'viewer'] },
        }),
        ...options.env,
      },
    });
  });
  afterAll(async () => {
    await sys.h?.stop();
    await sys.db?.drop();
    await sys.temporal?.teardown();
    for (const dir of [sys.catalogDir, sys.sourceDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * `temporal <args>` against the dev server, as an attacker with frontend access runs it. Never
   * synchronously: the worker runs in this process, and an Update waits for it to answer.
   */
  const temporalCli = (...args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        temporalCliPath(),
        [...args, '--address', sys.temporal.connection.options.address],
        { encoding: 'utf8' },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
  /** A command `cohortflow refresh proof` printed, run by a POSIX shell as a person pastes it. */
  const pasted = (command: string) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const line = `${command.replace(/^temporal /, `'${temporalCliPath()}' `)} --address ${sys.temporal.connection.options.address}`;
      execFile('sh', ['-c', line], { encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
  const statusOf = (id: string) =>
    sys.h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
  const audited = async (id: string) =>
    (
      (await sys.h.call('GET', `/audit?run=${encodeURIComponent(id)}`, TOKENS.viewer)).body.entries as Array<{
        action: string;
        actor: string;
        details: Record<string, unknown>;
      }>
    ).map(({ action, actor, details }) => ({ action, actor, details }));
  return { sys, temporalCli, pasted, statusOf, audited };
}
