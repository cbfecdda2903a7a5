import type {
  ApprovalDecision,
  ApprovalPolicy,
  CohortApproval,
  CohortReport,
  CohortTier,
  DecisionInput,
  SnapshotRef,
  SourceReport,
  TierApproval,
  Verdict,
} from '../shared';

// The approval gate's rules as plain functions of the gate's state: what needs a human, who may
// decide what, and what a decision does. No Temporal here, so they are tested directly and the
// workflow (approval-gate.ts) only waits, reminds and audits.

export const DEFAULT_ALWAYS_FOR: CohortTier[] = ['strategic'];
export const DEFAULT_VERDICTS: Verdict[] = ['warn', 'fail'];

export interface GateState {
  runId: string;
  requestedBy: string;
  policy: ApprovalPolicy;
  /** Authors of definition versions changed since the last publish, by cohort. */
  authors: Map<string, string[]>;
  /** By cohort: the cohorts it refers to whose definitions changed since its publish, and their authors. */
  upstream: Map<string, Array<{ cohortId: string; authors: string[] }>>;
  cohorts: CohortApproval[];
  /** Every decision taken, in order. */
  decisions: ApprovalDecision[];
  /** A reject without cohorts or a request for changes: ends the gate for the whole run. */
  runDecision?: ApprovalDecision;
}

export function tierRule(policy: ApprovalPolicy, tier: CohortTier): TierApproval {
  return policy.tiers?.[tier] ?? { approvers: policy.approvers, approvals: 1 };
}

/** Each cohort's place at the gate: waiting for a human (and why) or passed by policy. */
export function openGate(
  runId: string,
  requestedBy: string,
  policy: ApprovalPolicy,
  snapshots: SnapshotRef[],
  reports: CohortReport[],
  sources: SourceReport[],
): GateState {
  const alwaysFor = policy.alwaysFor ?? DEFAULT_ALWAYS_FOR;
  const verdicts = policy.verdicts ?? DEFAULT_VERDICTS;
  const degraded = sources.filter((s) => s.verdict !== 'pass').map((s) => `source ${s.source} ${s.verdict}s`);
  const authors = new Map<string, string[]>();
  const upstream = new Map<string, Array<{ cohortId: string; authors: string[] }>>();
  const cohorts = snapshots.map((s): CohortApproval => {
    const report = reports.find((r) => r.cohortId === s.cohortId);
    if (report?.changedBy?.length) authors.set(s.cohortId, report.changedBy);
    if (report?.upstreamChanges?.length) upstream.set(s.cohortId, report.upstreamChanges);
    const reasons: string[] = [];
    if (alwaysFor.includes(s.tier)) reasons.push(`${s.tier} cohort`);
    // A changed definition, its own or one it refers to, moves members by rule: a second person
    // reads it, whatever the verdicts the policy flags.
    if (report?.upstreamChanges?.length && !verdicts.includes(report.verdict))
      reasons.push(`cohorts it refers to changed: ${report.upstreamChanges.map((u) => u.cohortId).join(', ')}`);
    if (report?.changedBy?.length && !verdicts.includes(report.verdict)) reasons.push('its definition changed');
    if (report && verdicts.includes(report.verdict)) {
      const flagged = report.checks
        .filter((c) => c.verdict !== 'pass')
        .map((c) => (c.subject ? `${c.name}(${c.subject})` : c.name));
      reasons.push(
        `checks ${report.verdict === 'fail' ? 'fail' : 'warn'}${flagged.length ? `: ${flagged.join(', ')}` : ''}`,
      );
    }
    reasons.push(...degraded);
    return {
      cohortId: s.cohortId,
      tier: s.tier,
      state: reasons.length > 0 ? 'waiting' : 'auto',
      reason: reasons.join('; ') || 'no check flagged; the policy needs no human',
      approvalsRequired: tierRule(policy, s.tier).approvals,
      approvals: [],
      failed: report?.verdict === 'fail',
    };
  });
  return { runId, requestedBy, policy, authors, upstream, cohorts, decisions: [] };
}

export const waiting = (gate: GateState) => gate.cohorts.filter((c) => c.state === 'waiting');
export const gateClosed = (gate: GateState) => gate.runDecision !== undefined || waiting(gate).length === 0;

/** The requester and every author of a changed definition, or of one a cohort refers to: four eyes keeps them out. */
export function excluded(gate: GateState): string[] {
  const upstreamAuthors = [...gate.upstream.values()].flat().flatMap((u) => u.authors);
  return [...new Set([gate.requestedBy, ...[...gate.authors.values()].flat(), ...upstreamAuthors])];
}

/** Who may still decide the waiting cohorts; the people reminders go to. */
export function eligibleApprovers(gate: GateState): string[] {
  const out = excluded(gate);
  const tiers = [...new Set(waiting(gate).map((c) => c.tier))];
  return [...new Set(tiers.flatMap((t) => tierRule(gate.policy, t).approvers))].filter((a) => !out.includes(a)).sort();
}

function describe(c: CohortApproval): string {
  if (c.state === 'auto') return `${c.cohortId} needs no approval`;
  if (c.state === 'approved')
    return `${c.cohortId} is already approved (by ${c.approvals.map((a) => a.by).join(', ')})`;
  return `${c.cohortId} is already held back by ${c.heldBy?.by}`;
}

/** The cohorts a decision covers, or why it cannot cover them. */
function targetsOf(gate: GateState, d: DecisionInput): CohortApproval[] | string {
  if (!d.cohorts || d.cohorts.length === 0) return waiting(gate);
  const unknown = d.cohorts.filter((id) => !gate.cohorts.some((c) => c.cohortId === id));
  if (unknown.length > 0)
    return `not part of run ${gate.runId}: ${unknown.join(', ')} (its cohorts: ${gate.cohorts.map((c) => c.cohortId).join(', ')})`;
  const named = gate.cohorts.filter((c) => d.cohorts!.includes(c.cohortId));
  const settled = named.filter((c) => c.state !== 'waiting');
  if (settled.length > 0) return settled.map(describe).join('; ');
  return named;
}

/** Why this decision cannot be taken now, or undefined when it can. The gate must be open. */
export function refusal(gate: GateState, d: DecisionInput): string | undefined {
  if (d.runId !== undefined && d.runId !== gate.runId)
    return `this decision names run ${d.runId}, but this is run ${gate.runId}; nothing changed`;
  if (d.approver === gate.requestedBy) return `${d.approver} requested this run and cannot decide it (four eyes)`;
  const wrote = [...gate.authors].filter(([, authors]) => authors.includes(d.approver)).map(([id]) => id);
  const referrers = new Map<string, string[]>();
  for (const [id, changes] of gate.upstream)
    for (const u of changes.filter((c) => c.authors.includes(d.approver)))
      referrers.set(u.cohortId, [...(referrers.get(u.cohortId) ?? []), id]);
  const wroteUpstream = [...referrers].map(
    ([upstream, ids]) => `${upstream} (which ${ids.join(', ')} ${ids.length === 1 ? 'refers' : 'refer'} to)`,
  );
  if (wrote.length + wroteUpstream.length > 0)
    return `${d.approver} wrote the changed definition of ${[...new Set([...wrote, ...wroteUpstream])].join(', ')} in this run and cannot decide it (four eyes)`;
  if (d.decision === 'request-changes') {
    if (d.cohorts?.length) return 'request-changes applies to the whole run; name no cohorts';
    if (!d.comment?.trim()) return 'request-changes needs a comment that says what to change';
  }
  const targets = targetsOf(gate, d);
  if (typeof targets === 'string') return targets;
  if (targets.length === 0) return `nothing in run ${gate.runId} is waiting for a decision`;
  const beyond = targets.filter((c) => !tierRule(gate.policy, c.tier).approvers.includes(d.approver));
  if (beyond.length > 0) {
    const tiers = [...new Set(beyond.map((c) => c.tier))];
    const allowed = tiers
      .map((t) => `${t}: ${tierRule(gate.policy, t).approvers.join(', ') || 'nobody configured'}`)
      .join('; ');
    return `${d.approver} may not decide ${beyond.map((c) => c.cohortId).join(', ')} (${tiers.join(', ')} approvers — ${allowed})`;
  }
  if (d.decision === 'approve') {
    const twice = targets.filter((c) => c.approvals.some((a) => a.by === d.approver));
    if (twice.length > 0)
      return `${d.approver} already approved ${twice.map((c) => c.cohortId).join(', ')}; the next approval must come from someone else`;
    const failed = targets.filter((c) => c.failed);
    if (failed.length > 0 && !d.comment?.trim())
      return `${failed.map((c) => c.cohortId).join(', ')} failed a baseline check; approving needs a comment that says why`;
  }
  return undefined;
}

/** Applies a decision that `refusal` let through; returns what it did, for the caller and the audit. */
export function applyDecision(
  gate: GateState,
  d: DecisionInput,
  at: string,
  via: ApprovalDecision['via'],
): ApprovalDecision {
  const targets = targetsOf(gate, d) as CohortApproval[];
  const mark = { by: d.approver, at, comment: d.comment };
  const runWide = !d.cohorts || d.cohorts.length === 0;
  let kind: ApprovalDecision['kind'];
  if (d.decision === 'approve') {
    kind = 'approved';
    for (const c of targets) {
      c.approvals.push(mark);
      if (c.approvals.length >= c.approvalsRequired) c.state = 'approved';
    }
  } else {
    kind = d.decision === 'reject' ? 'rejected' : 'changes-requested';
    for (const c of targets) {
      c.state = 'held';
      c.heldBy = mark;
    }
  }
  const decision: ApprovalDecision = {
    kind,
    by: d.approver,
    at,
    comment: d.comment,
    via,
    cohorts: targets.map((c) => c.cohortId),
    waiting: waiting(gate).map((c) => ({
      cohortId: c.cohortId,
      approvalsNeeded: c.approvalsRequired - c.approvals.length,
    })),
  };
  if (d.decision !== 'approve' && runWide) gate.runDecision = decision;
  gate.decisions.push(decision);
  return decision;
}

/** What the gate let through once it closed: the run's decision and the cohorts to publish. */
export function gateResult(
  gate: GateState,
  at: string,
): { decision: ApprovalDecision; publish: string[]; heldBack: string[]; approvedBy: Record<string, string> } {
  const closed = closedGate(gate, at);
  const approversOf = (id: string) => {
    const c = gate.cohorts.find((x) => x.cohortId === id)!;
    return c.state === 'auto' ? 'policy' : c.approvals.map((a) => a.by).join(', ');
  };
  // Only what publishes has approvers to record.
  return { ...closed, approvedBy: Object.fromEntries(closed.publish.map((id) => [id, approversOf(id)])) };
}

function closedGate(
  gate: GateState,
  at: string,
): { decision: ApprovalDecision; publish: string[]; heldBack: string[] } {
  const heldBack = gate.cohorts.filter((c) => c.state === 'held').map((c) => c.cohortId);
  if (gate.runDecision)
    return { decision: gate.runDecision, publish: [], heldBack: gate.cohorts.map((c) => c.cohortId) };
  const approved = gate.cohorts.filter((c) => c.state === 'approved');
  const publish = gate.cohorts.filter((c) => c.state === 'approved' || c.state === 'auto').map((c) => c.cohortId);
  const approvers = [...new Set(approved.flatMap((c) => c.approvals.map((a) => a.by)))];
  const last = gate.decisions.at(-1);
  if (publish.length === 0) {
    return {
      decision: {
        kind: 'rejected',
        by: last?.by ?? 'nobody',
        at,
        via: last?.via ?? 'update',
        comment: 'every cohort was held back',
        cohorts: [],
      },
      publish,
      heldBack,
    };
  }
  if (!last)
    return {
      decision: {
        kind: 'approved',
        by: 'policy',
        at,
        via: 'policy',
        comment: 'all checks passed; tactical cohorts need no human',
        cohorts: publish,
      },
      publish,
      heldBack,
    };
  // One decision closed the gate: it is the run's decision. Several: who approved, and what was held.
  if (gate.decisions.length === 1) return { decision: { ...last, cohorts: publish }, publish, heldBack };
  const comment =
    heldBack.length > 0 ? `approved; held back: ${heldBack.join(', ')}` : `approved by ${approvers.join(', ')}`;
  return {
    decision: { kind: 'approved', by: approvers.join(', '), at, via: last.via, comment, cohorts: publish },
    publish,
    heldBack,
  };
}
