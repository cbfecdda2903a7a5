import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicyFile, PolicyError, type PolicyDefaults } from '../../src/approval/policy-file';

const defaults: PolicyDefaults = {
  approvers: ['bob', 'carol'],
  deadline: '72h',
  reminders: ['24h'],
  strategicApprovals: 1,
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-policy-'));
let n = 0;
function policyFile(text: string): string {
  const file = path.join(dir, `policy-${++n}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('approval policy file', () => {
  it('resolves groups to users, per tier, with the approvals each tier needs', () => {
    const file = policyFile(
      [
        'deadline: 48h',
        'reminders: [12h, 36h]',
        'needsApproval: { tiers: [strategic], verdicts: [fail] }',
        'groups:',
        '  growth-leads: [bob, carol]',
        'tiers:',
        '  strategic: { approvers: [group:growth-leads, erin], approvals: 2 }',
        '  tactical: { approvers: [erin] }',
      ].join('\n'),
    );
    expect(loadPolicyFile(file, defaults)).toEqual({
      approvers: ['bob', 'carol', 'erin'],
      deadline: '48h',
      alwaysFor: ['strategic'],
      verdicts: ['fail'],
      tiers: {
        strategic: { approvers: ['bob', 'carol', 'erin'], approvals: 2 },
        tactical: { approvers: ['erin'], approvals: 1 },
      },
      reminders: ['12h', '36h'],
    });
  });

  it('falls back to the environment approvers for a tier the file leaves out', () => {
    const policy = loadPolicyFile(policyFile('tiers:\n  strategic: { approvers: [erin] }\n'), defaults);
    expect(policy.tiers?.tactical).toEqual({ approvers: ['bob', 'carol'], approvals: 1 });
  });

  it('names the file, line and path of an unknown group', () => {
    const file = policyFile('groups:\n  leads: [bob]\ntiers:\n  strategic:\n    approvers: [group:lead]\n');
    expect(() => loadPolicyFile(file, defaults)).toThrow(
      new PolicyError(`${file}:5: tiers.strategic.approvers.0: no group lead (groups: leads)`),
    );
  });

  it('refuses a tier that needs more approvals than it has approvers', () => {
    const file = policyFile('tiers:\n  strategic:\n    approvers: [bob]\n    approvals: 2\n');
    expect(() => loadPolicyFile(file, defaults)).toThrow(
      `${file}:4: tiers.strategic.approvals: needs 2 distinct approvals but names only 1 approver(s): bob`,
    );
  });

  it('reports a bad duration and an unknown key with their lines', () => {
    const file = policyFile('deadline: soon\nescalate: true\n');
    expect(() => loadPolicyFile(file, defaults)).toThrow(
      /:1: deadline: a duration such as 90s, 30m, 72h or 7d\n.*:1: \(file\): Unrecognized key: "escalate"/,
    );
  });
});
