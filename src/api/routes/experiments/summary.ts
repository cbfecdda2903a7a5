import type { StoredExperiment } from '../../../experiments/experiment-store';
import type { ExperimentSummary } from '../../schemas/experiments';

/** What the API shows of an experiment: everything but its salt (which predicts every arm). */
export const summaryOf = (x: StoredExperiment): ExperimentSummary => {
  const e = x.definition;
  return {
    id: e.id,
    cohort: e.cohort,
    hypothesis: e.hypothesis,
    owner: e.owner,
    status: x.status,
    arms: e.arms.map((a) => ({
      id: a.id,
      share: a.share,
      holdout: a.holdout,
      ...(a.description ? { description: a.description } : {}),
    })),
    kpi: e.kpi,
    adaptive: e.adaptive ?? null,
    createdBy: x.createdBy,
    rationale: x.rationale,
    createdAt: x.createdAt,
    stoppedAt: x.stoppedAt,
    stoppedBy: x.stoppedBy,
    stopReason: x.stopReason,
  };
};
