import type { WorkerDeploymentVersion } from '@temporalio/common';
import {
  bundleWorkflowCode,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { deploymentVersion, pinnedTo } from './deployment';

export const workflowsPath = require.resolve('../workflows');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A worker always knows whose proofs to trust and which policy runs decide by. */
  deps: ActivityDeps & Required<Pick<ActivityDeps, 'keyring' | 'policy'>>;
  /** A bundle made earlier (a worker started again reuses it); bundled here when absent. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

/** The workflow code bundled once, and the version (build id) it makes. */
export async function bundleWorkflows(): Promise<{
  workflowBundle: WorkflowBundleWithSourceMap;
  version: WorkerDeploymentVersion;
}> {
  // Bundled here rather than by Worker.create: the build id is a hash of this code.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: Runtime.instance().logger });
  return { workflowBundle, version: deploymentVersion(workflowBundle.code) };
}

/**
 * A worker on the cohortflow task queue with the activities bound to their dependencies,
 * versioned: the build id names this release and its workflow code, and every run it starts
 * stays on it (see deployment.ts).
 */
export async function createWorker(options: WorkerOptions): Promise<{
  worker: Worker;
  version: WorkerDeploymentVersion;
  workflowBundle: WorkflowBundleWithSourceMap;
}> {
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows()).workflowBundle;
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
    // Heartbeats reach the server within seconds, so a run's status shows live progress (files,
    // rows, batches) rather than figures up to a minute old.
    maxHeartbeatThrottleInterval: '5s',
    defaultHeartbeatThrottleInterval: '5s',
  });
  return { worker, version, workflowBundle };
}
