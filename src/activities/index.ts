import { testAgainstBaselines } from './baseline';
import { freezeAtPublish, judgeScheduledSlot } from './calendar';
import { computeCohort, dropRunMeasures, materialiseRunMeasures, planCompute } from './compute';
import type { ActivityDeps } from './deps';
import { ingestSources } from './ingest';
import { decideModels, proposeModels, scoreRunCustomers } from './models';
import { notifyApprovers } from './notify';
import { approvalPolicy, verifyProof, verifyStart } from './proofs';
import { deliverCohort, publishSnapshots } from './publish';
import { rollbackTarget, restorePrevious, restoreVersion } from './restore';
import { planShadows, runShadow } from './shadows';
import { audit, claimRefreshSlots, recordOutcome, registerRun, reuseIngest } from './runs';

type Input<F> = F extends (deps: ActivityDeps, input: infer I) => unknown ? I : never;

/**
 * An activity that appends to the audit log, followed by a signed checkpoint of the log's head
 * outside the database; a checkpoint that cannot be written fails the attempt, which retries.
 */
const checkpointed =
  <I, O>(deps: ActivityDeps, activity: (deps: ActivityDeps, input: I) => Promise<O>) =>
  async (input: I): Promise<O> => {
    const done = await activity(deps, input);
    await deps.auditCheckpoints?.write(deps.db);
    return done;
  };

/** The activities the worker registers, bound to their dependencies. */
export const createActivities = (deps: ActivityDeps) => ({
  claimRefreshSlots: (input: Input<typeof claimRefreshSlots>) => claimRefreshSlots(deps, input),
  registerRun: checkpointed(deps, registerRun),
  ingestSources: (input: Input<typeof ingestSources>) => ingestSources(deps, input),
  reuseIngest: (input: Input<typeof reuseIngest>) => reuseIngest(deps, input),
  planCompute: checkpointed(deps, planCompute),
  scoreRunCustomers: (input: Input<typeof scoreRunCustomers>) => scoreRunCustomers(deps, input),
  proposeModels: (input: Input<typeof proposeModels>) => proposeModels(deps, input),
  decideModels: (input: Input<typeof decideModels>) => decideModels(deps, input),
  materialiseRunMeasures: (input: Input<typeof materialiseRunMeasures>) => materialiseRunMeasures(deps, input),
  computeCohort: (input: Input<typeof computeCohort>) => computeCohort(deps, input),
  dropRunMeasures: (input: Input<typeof dropRunMeasures>) => dropRunMeasures(deps, input),
  testAgainstBaselines: (input: Input<typeof testAgainstBaselines>) => testAgainstBaselines(deps, input),
  planShadows: (input: Input<typeof planShadows>) => planShadows(deps, input),
  runShadow: checkpointed(deps, runShadow),
  publishSnapshots: checkpointed(deps, publishSnapshots),
  deliverCohort: (input: Input<typeof deliverCohort>) => deliverCohort(deps, input),
  restorePrevious: checkpointed(deps, restorePrevious),
  restoreVersion: checkpointed(deps, restoreVersion),
  rollbackTarget: (input: Input<typeof rollbackTarget>) => rollbackTarget(deps, input),
  recordOutcome: checkpointed(deps, recordOutcome),
  audit: checkpointed(deps, audit),
  notifyApprovers: (input: Input<typeof notifyApprovers>) => notifyApprovers(deps, input),
  verifyProof: (input: Input<typeof verifyProof>) => verifyProof(deps, input),
  verifyStart: (input: Input<typeof verifyStart>) => verifyStart(deps, input),
  approvalPolicy: (input: Input<typeof approvalPolicy>) => approvalPolicy(deps, input),
  judgeScheduledSlot: (input: Input<typeof judgeScheduledSlot>) => judgeScheduledSlot(deps, input),
  freezeAtPublish: (input: Input<typeof freezeAtPublish>) => freezeAtPublish(deps, input),
});

export type { ActivityDeps };
