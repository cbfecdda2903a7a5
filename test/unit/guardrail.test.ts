import { enforceGuardrail, guardrailRefusal, GuardrailRefused } from '../../src/cohorts/guardrail';

describe('the strategic-cohort guardrail', () => {
  it.each([
    [
      'strategic',
      'deprecate',
      undefined,
      'board-accounts is a strategic cohort: deprecating it needs a reason of a sentence (at least 10 characters)',
    ],
    [
      'strategic',
      'delete',
      'old',
      'board-accounts is a strategic cohort: deleting it needs a reason of a sentence (at least 10 characters)',
    ],
    [
      'strategic',
      'delete',
      '   too short   ',
      'board-accounts is a strategic cohort: deleting it needs a reason of a sentence (at least 10 characters)',
    ],
    ['strategic', 'deprecate', 'replaced by tiers', undefined],
    ['strategic', 'delete', '0123456789', undefined],
    ['tactical', 'delete', undefined, undefined],
    ['tactical', 'deprecate', '', undefined],
  ] as const)('%s, %s with reason %j: %s', (tier, change, reason, refusal) => {
    expect(guardrailRefusal({ id: 'board-accounts', tier }, change, reason)).toBe(refusal);
  });

  it('throws the refusal, so a caller stops before writing anything', () => {
    expect(() => enforceGuardrail({ id: 'board-accounts', tier: 'strategic' }, 'delete', 'n/a')).toThrow(
      GuardrailRefused,
    );
    expect(() => enforceGuardrail({ id: 'board-accounts', tier: 'tactical' }, 'delete', undefined)).not.toThrow();
  });
});
