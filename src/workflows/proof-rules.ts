import type { CohortRollbackInput, ProofExpectation, RefreshInput } from '../shared';

// What each message's proof must cover, as plain functions (no Temporal): the workflows build
// these from the messages they receive, the API and the test helpers from the requests they sign.

/** The start input a refresh's proof covers: everything that decides what the run does. */
export const refreshStartText = (input: RefreshInput): string =>
  JSON.stringify([
    input.cadence,
    input.tier,
    input.rationale,
    input.asOf ?? null,
    input.watchWindow ?? null,
    input.queue ?? false,
  ]);

export const refreshStartExpectation = (input: RefreshInput, workflowId: string): ProofExpectation => ({
  user: input.requestedBy,
  action: 'start',
  workflowId,
  cohorts: [],
  runWide: true,
  text: refreshStartText(input),
});

export const rollbackStartExpectation = (input: CohortRollbackInput, workflowId: string): ProofExpectation => ({
  user: input.requestedBy,
  action: 'start',
  workflowId,
  cohorts: [input.cohortId],
  runWide: false,
  text: JSON.stringify([input.cohortId, input.toVersion, input.reason]),
});

/** A schedule's runs get ids `<workflowId>-<time>`: its proof covers that prefix. */
export const scheduledWorkflowPrefix = (workflowId: string) => `${workflowId}-`;

export const sortedUnique = (ids: string[]) => [...new Set(ids)].sort();

export const sameCohorts = (a: string[], b: string[]) =>
  a.length === b.length && sortedUnique(a).every((x, i) => x === sortedUnique(b)[i]);
