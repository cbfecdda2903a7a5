import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { generateAuditKey } from '../../src/governance/audit-keys';
import { generateSigningKeyPem, publicKeyText, signingKeyFrom } from '../../src/governance/proof-keys';
import { restartablePostgres, restartableTemporal } from '../support/restartable-servers';
import { eventually } from '../support/system';

// `cohortflow worker` as a deployment starts it: before its database and Temporal are up (a
// compose file brings them up in any order). It waits for each, saying what it waits for, and
// polls the task queue once both answer — no restart by hand.

const ROOT = path.resolve(__dirname, '../..');

describe('cohortflow worker started before PostgreSQL and Temporal', () => {
  it('waits for PostgreSQL, then for Temporal, then polls the task queue', async () => {
    const postgres = await restartablePostgres('worker-pg');
    const temporal = await restartableTemporal('worker-temporal');
    await postgres.stopImmediately();
    await temporal.kill();
    const signer = signingKeyFrom(generateSigningKeyPem());
    const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-worker-keys-'));
    generateAuditKey(path.join(keys, 'audit-signing-key.pem'));
    const taskQueue = `worker-process-${crypto.randomBytes(4).toString('hex')}`;
    let output = '';
    let worker: ChildProcess | undefined;
    try {
      worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: postgres.url,
          TEMPORAL_ADDRESS: temporal.address,
          COHORTFLOW_TASK_QUEUE: taskQueue,
          WORKER_METRICS_ADDRESS: 'off',
          // A worker only checks proofs of decisions: it is given public keys, never the signing key.
          DECISION_VERIFY_KEYS: JSON.stringify({ [signer.kid]: { publicKey: publicKeyText(signer.publicKey) } }),
          AUDIT_SIGNING_KEY_FILE: path.join(keys, 'audit-signing-key.pem'),
          AUDIT_CHECKPOINT_FILE: path.join(keys, 'audit-checkpoints.jsonl'),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      worker.stderr!.on('data', (c: Buffer) => (output += c.toString()));

      await eventually(
        async () => output,
        (o) => o.includes('PostgreSQL (DATABASE_URL): not available yet; retrying'),
        'the worker waiting for PostgreSQL',
      );
      await postgres.start();
      await eventually(
        async () => output,
        (o) => o.includes(`Temporal at ${temporal.address}: not available yet; retrying`),
        'the worker waiting for Temporal',
      );
      expect(worker.exitCode).toBeNull();
      await temporal.start();
      await eventually(
        async () => output,
        (o) => o.includes('"msg":"worker running"'),
        'the worker running',
        120_000,
      );

      const connection = await Connection.connect({ address: temporal.address });
      try {
        const queue = await eventually(
          () =>
            connection.workflowService.describeTaskQueue({
              namespace: 'default',
              taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
              taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            }),
          (q) => (q.pollers ?? []).length > 0,
          'a poller on the task queue',
        );
        expect(queue.pollers!.length).toBeGreaterThan(0);
      } finally {
        await connection.close();
      }
    } finally {
      if (worker && worker.exitCode === null) {
        const exited = new Promise((r) => worker!.once('exit', r));
        worker.kill('SIGTERM');
        await exited;
      }
      await temporal.close();
      await postgres.close();
      fs.rmSync(keys, { recursive: true, force: true });
    }
  }, 300_000);
});
