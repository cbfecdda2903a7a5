import crypto from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import type { Logger } from '../log';
import { name, version } from '../../package.json';

// Worker versioning: every worker says which build it is, and a run stays on the build it
// started on (PINNED) until it ends, however many builds are deployed meanwhile. A run lasts at
// most the approval deadline plus the watch window, so old builds drain on their own.

/**
 * This build: deployment `cohortflow`, build id `<package version>+<hash of the workflow code>`.
 * The version says which release it is; the hash keeps two builds whose workflow code differs
 * from sharing an id while the version is unchanged (between releases, or a forgotten bump).
 */
export function deploymentVersion(workflowCode: string): WorkerDeploymentVersion {
  return { deploymentName: name, buildId: `${version}+${workflowCodeHash(workflowCode)}` };
}

/** The bundle without its inline source map, which names the folder it was built in. */
export function workflowCodeHash(code: string): string {
  const withoutSourceMap = code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '');
  return crypto.createHash('sha256').update(withoutSourceMap).digest('hex').slice(0, 12);
}

/** What a worker of this build passes to Worker.create. */
export function pinnedTo(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' };
}

const grpcCode = (err: unknown) => (err as { code?: number }).code;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;
const UNIMPLEMENTED = 12;

/**
 * Makes `version` the deployment's current version, so that new runs start on it, once one of
 * its workers polls (before that the server does not know the version). `unlessSet`: leave a
 * current version alone, for a fleet where promoting a build is a deliberate step.
 * Returns the current version afterwards.
 */
export async function makeCurrent(
  service: WorkflowService,
  namespace: string,
  version: WorkerDeploymentVersion,
  options: { unlessSet?: boolean; log: Logger; timeoutMs?: number },
): Promise<WorkerDeploymentVersion> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const described = await service
      .describeWorkerDeployment({ namespace, deploymentName: version.deploymentName })
      .catch((err: unknown) => {
        if (grpcCode(err) === UNIMPLEMENTED)
          throw new Error(
            `the Temporal server has no worker deployments (it needs 1.29.1 or newer, with worker versioning enabled): ${(err as Error).message}`,
          );
        if (grpcCode(err) !== NOT_FOUND) throw err;
        return undefined; // no worker of this deployment has polled yet
      });
    const info = described?.workerDeploymentInfo;
    const polling = info?.versionSummaries?.some((v) => v.deploymentVersion?.buildId === version.buildId);
    if (described && polling) {
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
      if (current === version.buildId || (options.unlessSet && current)) {
        options.log.info({ current, build: version.buildId }, 'current worker deployment version left as it is');
        return { deploymentName: version.deploymentName, buildId: current };
      }
      const set = await service
        .setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: version.deploymentName,
          buildId: version.buildId,
          conflictToken: described.conflictToken,
        })
        .then(
          () => true,
          (err: unknown) => {
            // Another worker changed the deployment since we read it: read it again.
            if (grpcCode(err) === FAILED_PRECONDITION || grpcCode(err) === ABORTED) return false;
            throw err;
          },
        );
      if (set) {
        options.log.info({ previous: current ?? null, current: version.buildId }, 'new runs start on this build');
        return version;
      }
    }
    if (Date.now() > deadline)
      throw new Error(
        `no worker of ${version.deploymentName} build ${version.buildId} was seen polling; is the worker running?`,
      );
    await delay(200);
  }
}
