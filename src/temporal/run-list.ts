import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Cadence, RefreshOutcomeKind, RefreshStage, TierScope } from '../shared';
import { status } from '../workflows/messages';
import {
  Cadence as CadenceKey,
  CohortTier,
  RefreshOutcome,
  RefreshStage as StageKey,
} from '../workflows/search-attributes';

// The refresh runs as Temporal's visibility lists them: the search attributes the workflow keeps
// (stage, outcome, cadence, tier) and its memo (who asked, why). Temporal is the authority on
// where a run is now; runs waiting at the gate are asked for their gate's state.

export interface RunFilter {
  stage?: RefreshStage;
  outcome?: RefreshOutcomeKind;
  limit: number;
}

export interface WaitingApproval {
  since: string;
  deadline: string;
  approvers: string[];
  excluded: string[];
  waiting: Array<{ cohortId: string; tier: string; approvals: number; approvalsRequired: number; reason: string }>;
}

export interface RunSummary {
  runId: string;
  status: string;
  stage: RefreshStage | null;
  outcome: RefreshOutcomeKind | null;
  cadence: Cadence | null;
  tier: TierScope | null;
  requestedBy: string | null;
  rationale: string | null;
  startedAt: string;
  closedAt: string | null;
  approval: WaitingApproval | null;
  temporalUrl: string | null;
}

/**
 * The visibility query: only refresh runs, filtered on the keyword attributes. The values come
 * from the API's enums (validated before this is called), never from free text.
 */
export function runListQuery(filter: Pick<RunFilter, 'stage' | 'outcome'>): string {
  const parts = ["WorkflowType = 'refreshCycle'"];
  if (filter.stage) parts.push(`RefreshStage = '${filter.stage}'`);
  if (filter.outcome) parts.push(`RefreshOutcome = '${filter.outcome}'`);
  return parts.join(' AND ');
}

/** Where the Temporal Web UI lists the namespace's workflows. */
export function temporalNamespaceUrl(uiUrl: string | undefined, namespace: string): string | null {
  return uiUrl ? `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}` : null;
}

/** Where the Temporal Web UI shows a run's history. */
export function temporalUrlOf(uiUrl: string | undefined, namespace: string, workflowId: string): string | null {
  const base = temporalNamespaceUrl(uiUrl, namespace);
  return base && `${base}/workflows/${encodeURIComponent(workflowId)}`;
}

async function gateOf(client: Client, workflowId: string): Promise<WaitingApproval | null> {
  const s = await client.workflow
    .getHandle(workflowId)
    .query(status)
    .catch(() => undefined);
  if (!s?.approval || s.stage !== 'awaiting-approval') return null;
  const { since, deadline, approvers, excluded, cohorts } = s.approval;
  const waiting = cohorts
    .filter((c) => c.state === 'waiting')
    .map((c) => ({
      cohortId: c.cohortId,
      tier: c.tier,
      approvals: c.approvals.length,
      approvalsRequired: c.approvalsRequired,
      reason: c.reason,
    }));
  return { since, deadline, approvers, excluded, waiting };
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function summaryOf(info: WorkflowExecutionInfo, namespace: string, uiUrl: string | undefined): RunSummary {
  const attributes = info.typedSearchAttributes;
  return {
    runId: info.workflowId,
    status: info.status.name,
    stage: (attributes.get(StageKey) as RefreshStage | undefined) ?? null,
    outcome: (attributes.get(RefreshOutcome) as RefreshOutcomeKind | undefined) ?? null,
    cadence: (attributes.get(CadenceKey) as Cadence | undefined) ?? null,
    tier: (attributes.get(CohortTier) as TierScope | undefined) ?? null,
    requestedBy: text(info.memo?.requestedBy),
    rationale: text(info.memo?.rationale),
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime?.toISOString() ?? null,
    approval: null,
    temporalUrl: temporalUrlOf(uiUrl, namespace, info.workflowId),
  };
}

/** The newest runs first; those waiting at the gate carry who may decide, what waits and the deadline. */
export async function listRefreshRuns(client: Client, filter: RunFilter, uiUrl?: string): Promise<RunSummary[]> {
  const namespace = client.options.namespace;
  const runs: RunSummary[] = [];
  for await (const info of client.workflow.list({ query: runListQuery(filter) })) {
    runs.push(summaryOf(info, namespace, uiUrl));
    if (runs.length >= filter.limit) break;
  }
  await Promise.all(
    runs
      .filter((r) => r.status === 'RUNNING' && r.stage === 'awaiting-approval')
      .map(async (r) => (r.approval = await gateOf(client, r.runId))),
  );
  return runs;
}
