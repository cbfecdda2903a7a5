import { testAgainstBaselines } from './baseline';
import { computeCohort, dropRunMeasures, materialiseRunMeasures, planCompute } from './compute';
import type { ActivityDeps } from './deps';
import { ingestSources } from './ingest';
import { notifyApprovers } from './notify';
import { approvalPolicy, verifyProof, verifyStart } from './proofs';
import { deliverCohort, publishSnapshots } from './publish';
import { rollbackTarget, restorePrevious, restoreVersion } from './restore';
import { audit, claimRefreshSlots, recordOutcome, registerRun } from './runs';

type Input<F> = F extends (deps: ActivityDeps, input: infer I) => unknown ? I : never;

/** The activities the worker registers, bound to their dependencies. */
export const createActivities = (deps: ActivityDeps) => ({
  registerRun: (input: Input<typeof registerRun>) => registerRun(deps, input),
  claimRefreshSlots: (input: Input<typeof claimRefreshSlots>) => claimRefreshSlots(deps, input),
  ingestSources: (input: Input<typeof ingestSources>) => ingestSources(deps, input),
  planCompute: (input: Input<typeof planCompute>) => planCompute(deps, input),
  materialiseRunMeasures: (input: Input<typeof materialiseRunMeasures>) => materialiseRunMeasures(deps, input),
  computeCohort: (input: Input<typeof computeCohort>) => computeCohort(deps, input),
  dropRunMeasures: (input: Input<typeof dropRunMeasures>) => dropRunMeasures(deps, input),
  testAgainstBaselines: (input: Input<typeof testAgainstBaselines>) => testAgainstBaselines(deps, input),
  publishSnapshots: (input: Input<typeof publishSnapshots>) => publishSnapshots(deps, input),
  deliverCohort: (input: Input<typeof deliverCohort>) => deliverCohort(deps, input),
  restorePrevious: (input: Input<typeof restorePrevious>) => restorePrevious(deps, input),
  restoreVersion: (input: Input<typeof restoreVersion>) => restoreVersion(deps, input),
  rollbackTarget: (input: Input<typeof rollbackTarget>) => rollbackTarget(deps, input),
  recordOutcome: (input: Input<typeof recordOutcome>) => recordOutcome(deps, input),
  audit: (input: Input<typeof audit>) => audit(deps, input),
  notifyApprovers: (input: Input<typeof notifyApprovers>) => notifyApprovers(deps, input),
  verifyProof: (input: Input<typeof verifyProof>) => verifyProof(deps, input),
  verifyStart: (input: Input<typeof verifyStart>) => verifyStart(deps, input),
  approvalPolicy: (input: Input<typeof approvalPolicy>) => approvalPolicy(deps, input),
});

export type { ActivityDeps };
