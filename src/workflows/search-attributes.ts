import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the namespace by `npm start` (dev server flags) and docker-compose's setup;
// ops filter runs by these in the Temporal UI.
export const Cadence = defineSearchAttributeKey('Cadence', SearchAttributeType.KEYWORD);
export const CohortTier = defineSearchAttributeKey('CohortTier', SearchAttributeType.KEYWORD);
export const RefreshStage = defineSearchAttributeKey('RefreshStage', SearchAttributeType.KEYWORD);
export const RefreshOutcome = defineSearchAttributeKey('RefreshOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [Cadence, CohortTier, RefreshStage, RefreshOutcome];
