import type { WorkerDeploymentVersion } from '@temporalio/common';
import { bundleWorkflowCode, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { deploymentVersion, pinnedTo } from './deployment';

export const workflowsPath = require.resolve('../workflows');

/**
 * A worker on the cohortflow task queue with the activities bound to their dependencies,
 * versioned: the build id names this release and its workflow code, and every run it starts
 * stays on it (see deployment.ts).
 */
export async function createWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
}): Promise<{ worker: Worker; version: WorkerDeploymentVersion }> {
  // Bundled here rather than by Worker.create: the build id is a hash of this code.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: Runtime.instance().logger });
  const version = deploymentVersion(workflowBundle.code);
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle,
    activities: createActivities(options.deps),
    workerDeploymentOptions: pinnedTo(version),
    // Graceful shutdown: running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '10s',
  });
  return { worker, version };
}
