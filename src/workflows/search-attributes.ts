import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the namespace by `npm start` (dev server flags) and docker-compose's setup;
// ops filter runs by these in the Temporal UI.
export const Cadence = defineSearchAttributeKey('Cadence', SearchAttributeType.KEYWORD);
export const CohortTier = defineSearchAttributeKey('CohortTier', SearchAttributeType.KEYWORD);
export const RefreshStage = defineSearchAttributeKey('RefreshStage', SearchAttributeType.KEYWORD);
export const RefreshOutcome = defineSearchAttributeKey('RefreshOutcome', SearchAttributeType.KEYWORD);

/** On a re-run: the workflow id of the run it repeats. */
export const RerunOf = defineSearchAttributeKey('RerunOf', SearchAttributeType.KEYWORD);
/** On a rollbackCohort run: the cohort it restores. */
export const CohortId = defineSearchAttributeKey('CohortId', SearchAttributeType.KEYWORD);
/** On a rollbackCohort run: how it ended (restored, rejected, expired, failed). */
export const RollbackOutcome = defineSearchAttributeKey('RollbackOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  Cadence,
  CohortTier,
  RefreshStage,
  RefreshOutcome,
  RerunOf,
  CohortId,
  RollbackOutcome,
];
