import { checkProof, signProof } from '../../src/governance/decision-proof';
import { generateSigningKeyPem, keyringEntryOf, keyringFrom, signingKeyFrom } from '../../src/governance/proof-keys';
import type { ProofExpectation } from '../../src/shared';

// A proof binds who, what, which run, which cohorts, which comment and when; changing any of them
// (or the key, or the bytes) makes it prove nothing.

const key = signingKeyFrom(generateSigningKeyPem());
const other = signingKeyFrom(generateSigningKeyPem());
const ring = keyringFrom(keyringEntryOf(key));
const NOW = new Date('2026-03-01T10:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

const decision: ProofExpectation = {
  user: 'bob',
  action: 'approve',
  workflowId: 'refresh-adhoc-1',
  cohorts: ['at-risk-paid', 'churned'],
  runWide: true,
  text: 'sizes look right',
};
const proof = signProof(key, decision, { now: NOW }).proof;

describe('decision proofs', () => {
  it('proves exactly what it was signed for, with a nonce and an expiry 15 minutes on', () => {
    expect(checkProof(ring, proof, decision, minutes(1))).toEqual({
      valid: true,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      expiresAt: '2026-03-01T10:15:00.000Z',
    });
  });

  it.each([
    ['another user', { user: 'carol' }, 'its proof was issued to bob, but the message names carol'],
    ['another decision', { action: 'reject' }, 'its proof is for approve, but the message is reject'],
    ['another run', { workflowId: 'refresh-adhoc-2' }, 'its proof is for refresh-adhoc-1, not refresh-adhoc-2'],
    [
      'other cohorts',
      { cohorts: ['churned'] },
      'its proof covers at-risk-paid, churned, but the message covers churned',
    ],
    [
      'named cohorts instead of the whole run',
      { runWide: false },
      'its proof covers the whole run, but the message names cohorts',
    ],
    ['another comment', { text: 'fine' }, 'its comment or reason differs from the one the proof was issued for'],
  ] as const)('refuses a message with %s', (_what, change, reason) => {
    expect(checkProof(ring, proof, { ...decision, ...change } as ProofExpectation, minutes(1))).toEqual({
      valid: false,
      reason,
    });
  });

  it.each([
    ['no proof', undefined, /carries no proof of who sent it/],
    ['a made-up proof', 'cf1.e30.AAAA', /is not a cohortflow proof|does not verify/],
    [
      'a proof with one byte changed',
      `${proof.slice(0, 20)}${proof[20] === 'A' ? 'B' : 'A'}${proof.slice(21)}`,
      /does not verify|not a cohortflow proof/,
    ],
    [
      'a proof signed by a key the worker does not trust',
      signProof(other, decision, { now: NOW }).proof,
      /which this worker does not trust/,
    ],
  ])('refuses %s', (_what, given, reason) => {
    expect(checkProof(ring, given, decision, minutes(1))).toEqual({
      valid: false,
      reason: expect.stringMatching(reason),
    });
  });

  it('refuses a proof after it expired and one from the future', () => {
    expect(checkProof(ring, proof, decision, minutes(16))).toEqual({
      valid: false,
      reason: 'its proof expired at 2026-03-01T10:15:00.000Z; ask for a new one',
    });
    expect(checkProof(ring, proof, decision, minutes(-5))).toEqual({
      valid: false,
      reason: 'its proof is issued in the future',
    });
  });

  it('refuses every proof of a retired key, and keeps trusting the others of the keyring', () => {
    const rotating = keyringFrom({
      ...keyringEntryOf(other),
      [key.kid]: { ...keyringEntryOf(key)[key.kid]!, notAfter: '2026-03-01T10:05:00Z' },
    });
    expect(checkProof(rotating, proof, decision, minutes(1))).toMatchObject({ valid: true });
    expect(checkProof(rotating, proof, decision, minutes(6))).toEqual({
      valid: false,
      reason: `its proof was signed with key ${key.kid}, retired at 2026-03-01T10:05:00.000Z`,
    });
    const fresh = signProof(other, decision, { now: minutes(6) }).proof;
    expect(checkProof(rotating, fresh, decision, minutes(7))).toMatchObject({ valid: true });
  });

  it('lets only a schedule start go without expiry, and covers every run id with the schedule prefix', () => {
    const start: ProofExpectation = {
      user: 'schedule:cohortflow-monthly',
      action: 'start',
      workflowId: 'refresh-monthly-',
      cohorts: [],
      runWide: true,
      text: '["monthly"]',
    };
    const scheduled = signProof(key, start, { now: NOW, ttlSeconds: null, workflowPrefix: true }).proof;
    const years = new Date('2031-01-01T06:00:00Z');
    expect(
      checkProof(ring, scheduled, { ...start, workflowId: 'refresh-monthly-2031-01-01T06:00:00Z' }, years),
    ).toEqual({ valid: true });
    expect(checkProof(ring, scheduled, { ...start, workflowId: 'refresh-adhoc-x' }, years)).toMatchObject({
      valid: false,
    });
    const forever = signProof(key, decision, { now: NOW, ttlSeconds: null }).proof;
    expect(checkProof(ring, forever, decision, minutes(1))).toEqual({
      valid: false,
      reason: 'its proof never expires, which only a schedule start may',
    });
  });

  it('refuses a keyring entry whose id is not its public key', () => {
    expect(() => keyringFrom({ 'ed25519-0000000000000000': keyringEntryOf(key)[key.kid]! })).toThrow(
      /keyring entry ed25519-0000000000000000: its public key's id is ed25519-/,
    );
  });
});
