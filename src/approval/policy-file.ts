import fs from 'node:fs';
import type { StringValue } from '@temporalio/common';
import { z } from 'zod';
import { duration } from '../config';
import { lineOf, readYamlDocument } from '../yaml-document';
import type { ApprovalPolicy, CohortTier, TierApproval } from '../shared';

const user = z.string().regex(/^[A-Za-z0-9._@-]+$/, 'a user name');
/** A user, or `group:<name>` for every member of a group. */
const approverRef = z.string().regex(/^(group:)?[A-Za-z0-9._@-]+$/, 'a user name or group:<name>');

const TierRule = z
  .object({
    approvers: z.array(approverRef).min(1, 'name at least one approver or group'),
    approvals: z.number().int().min(1).max(5).default(1),
  })
  .strict();

export const PolicyFile = z
  .object({
    deadline: duration.default('72h'),
    reminders: z.array(duration).default(['24h', '48h']),
    needsApproval: z
      .object({
        tiers: z.array(z.enum(['strategic', 'tactical'])).default(['strategic']),
        verdicts: z.array(z.enum(['warn', 'fail'])).default(['warn', 'fail']),
      })
      .strict()
      .default({ tiers: ['strategic'], verdicts: ['warn', 'fail'] }),
    groups: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a group name'), z.array(user).min(1)).default({}),
    tiers: z.object({ strategic: TierRule.optional(), tactical: TierRule.optional() }).strict().default({}),
  })
  .strict();

export class PolicyError extends Error {}

/** Defaults from the environment: every approver for both tiers, one approval each. */
export interface PolicyDefaults {
  approvers: string[];
  deadline: StringValue;
  reminders: StringValue[];
  strategicApprovals: number;
}

export function policyFromDefaults(d: PolicyDefaults): ApprovalPolicy {
  return {
    approvers: d.approvers,
    deadline: d.deadline,
    alwaysFor: ['strategic'],
    verdicts: ['warn', 'fail'],
    tiers: {
      strategic: { approvers: d.approvers, approvals: d.strategicApprovals },
      tactical: { approvers: d.approvers, approvals: 1 },
    },
    reminders: d.reminders,
  };
}

/**
 * Reads the approval policy file and resolves its groups to users, so a run carries the exact
 * people who may decide it. Every problem is reported at file:line with its path.
 */
export function loadPolicyFile(file: string, defaults: PolicyDefaults): ApprovalPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(`approval policy ${file}: cannot read it (${(err as Error).message})`);
  }
  const read = readYamlDocument(text, file);
  if (read.problems) throw new PolicyError(read.problems.join('\n'));
  const { doc } = read;
  const at = (p: PropertyKey[]) => `${file}:${lineOf(doc, text, p) ?? 1}: ${p.join('.') || '(file)'}`;
  const parsed = PolicyFile.safeParse(read.raw ?? {});
  if (!parsed.success) throw new PolicyError(parsed.error.issues.map((i) => `${at(i.path)}: ${i.message}`).join('\n'));
  const policy = parsed.data;

  const problems: string[] = [];
  const resolve = (tier: CohortTier): TierApproval => {
    const rule = policy.tiers[tier];
    if (!rule)
      return { approvers: defaults.approvers, approvals: tier === 'strategic' ? defaults.strategicApprovals : 1 };
    const users = rule.approvers.flatMap((ref, i) => {
      if (!ref.startsWith('group:')) return [ref];
      const members = policy.groups[ref.slice('group:'.length)];
      if (!members)
        problems.push(
          `${at(['tiers', tier, 'approvers', i])}: no group ${ref.slice(6)} (groups: ${Object.keys(policy.groups).join(', ') || 'none'})`,
        );
      return members ?? [];
    });
    const approvers = [...new Set(users)].sort();
    if (approvers.length > 0 && approvers.length < rule.approvals) {
      problems.push(
        `${at(['tiers', tier, 'approvals'])}: needs ${rule.approvals} distinct approvals but names only ${approvers.length} approver(s): ${approvers.join(', ')}`,
      );
    }
    return { approvers, approvals: rule.approvals };
  };
  const tiers = { strategic: resolve('strategic'), tactical: resolve('tactical') };
  if (problems.length > 0) throw new PolicyError(problems.join('\n'));
  return {
    approvers: [...new Set([...tiers.strategic.approvers, ...tiers.tactical.approvers])].sort(),
    deadline: policy.deadline,
    alwaysFor: policy.needsApproval.tiers,
    verdicts: policy.needsApproval.verdicts,
    tiers,
    reminders: policy.reminders,
  };
}
