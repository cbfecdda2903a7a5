import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { connect } from '../../src/data/db';
import type { Destination } from '../../src/destinations/destination';
import { createLogger } from '../../src/log';

// A worker serving only the delivery fixture workflow: the delivery crash test runs one as a
// child process and kills it with SIGKILL in the middle of a delivery.

export const deliveryWorkflowsPath = require.resolve('../fixtures/delivery-workflows');

export function webhookDestination(url: string, secret: string): Destination {
  // A budget of ~120 bytes of rows after the envelope: a handful of customers per batch.
  return {
    kind: 'webhook',
    name: 'crm',
    purpose: 'product',
    fields: ['customer_id'],
    allowRawEmail: false,
    url,
    secretsEnv: ['S'],
    secrets: [secret],
    maxBatchBytes: 1024 + 120,
    timeoutMs: 60_000,
    allowPrivateNetwork: true,
  };
}

export async function deliveryWorker(options: {
  address: string;
  taskQueue: string;
  databaseUrl: string;
  receiverUrl: string;
  secret: string;
}) {
  const db = connect(options.databaseUrl);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    taskQueue: options.taskQueue,
    workflowsPath: deliveryWorkflowsPath,
    activities: createActivities({
      db,
      log: createLogger('silent'),
      sourceDir: '',
      catalogDir: '',
      destinations: [webhookDestination(options.receiverUrl, options.secret)],
    }),
  });
  return {
    worker,
    close: async () => {
      await connection.close();
      await db.close();
    },
  };
}

if (require.main === module) {
  const [address, taskQueue, databaseUrl, receiverUrl, secret] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
  ];
  deliveryWorker({ address, taskQueue, databaseUrl, receiverUrl, secret })
    .then(({ worker }) => {
      process.stdout.write('ready\n');
      return worker.run();
    })
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
}
