import crypto from 'node:crypto';
import type { ProofAction, ProofCheck, ProofExpectation } from '../shared';
import type { Keyring, SigningKey } from './proof-keys';

// A proof is `cf1.<claims>.<signature>`: base64url JSON claims and an Ed25519 signature over
// `cf1.<claims>`. The API holds the signing key; workers hold only public keys, so whoever reads
// a worker's configuration or reaches the Temporal frontend can check a proof but never make one.

const PREFIX = 'cf1';
/** How long a decision proof is good for: long enough to paste it, short enough to be worth little if copied. */
export const PROOF_TTL_SECONDS = 15 * 60;
/** Clocks of the API and the workers may differ this much. */
const SKEW_SECONDS = 60;

export interface ProofClaims {
  kid: string;
  sub: string;
  act: ProofAction;
  /** The workflow id; ending in `*`, any workflow id with that prefix (a schedule's runs). */
  wf: string;
  cohorts: string[];
  all: boolean;
  /** sha256 (hex) of the comment, reason or canonical start input. */
  text: string;
  iat: number;
  /** Unset only for a schedule's start proof, re-signed whenever the schedules are written. */
  exp?: number;
  nonce?: string;
}

export const textHash = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Signs a proof for what `expected` describes; `ttlSeconds: null` makes one that never expires. */
export function signProof(
  key: SigningKey,
  expected: ProofExpectation,
  options: { now?: Date; ttlSeconds?: number | null; workflowPrefix?: boolean } = {},
): { proof: string; expiresAt?: string } {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const ttl = options.ttlSeconds === undefined ? PROOF_TTL_SECONDS : options.ttlSeconds;
  const claims: ProofClaims = {
    kid: key.kid,
    sub: expected.user,
    act: expected.action,
    wf: options.workflowPrefix ? `${expected.workflowId}*` : expected.workflowId,
    cohorts: [...expected.cohorts].sort(),
    all: expected.runWide,
    text: textHash(expected.text),
    iat,
    ...(ttl === null ? {} : { exp: iat + ttl, nonce: crypto.randomBytes(12).toString('base64url') }),
  };
  const body = `${PREFIX}.${b64(JSON.stringify(claims))}`;
  const signature = crypto.sign(null, Buffer.from(body), key.privateKey);
  return {
    proof: `${body}.${b64(signature)}`,
    ...(claims.exp ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {}),
  };
}

function parse(proof: unknown): { body: string; claims: ProofClaims; signature: Buffer } | string {
  if (typeof proof !== 'string' || proof.length === 0)
    return 'it carries no proof of who sent it (ask the cohortflow API for one: `cohortflow refresh proof`)';
  const parts = proof.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return 'its proof is not a cohortflow proof';
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as ProofClaims;
    if (typeof claims !== 'object' || claims === null || typeof claims.kid !== 'string')
      return 'its proof is not a cohortflow proof';
    return { body: `${parts[0]}.${parts[1]}`, claims, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return 'its proof is not a cohortflow proof';
  }
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Why the proof does not prove `expected` (signature, key, time, every bound field), or that it does. */
export function checkProof(keyring: Keyring, proof: unknown, expected: ProofExpectation, now = new Date()): ProofCheck {
  const refuse = (reason: string): ProofCheck => ({ valid: false, reason });
  const parsed = parse(proof);
  if (typeof parsed === 'string') return refuse(parsed);
  const { claims } = parsed;
  const key = keyring.get(claims.kid);
  if (!key) return refuse(`its proof was signed with key ${claims.kid}, which this worker does not trust`);
  const at = now.getTime() / 1000;
  if (key.notAfter && now > key.notAfter)
    return refuse(`its proof was signed with key ${claims.kid}, retired at ${key.notAfter.toISOString()}`);
  if (!crypto.verify(null, Buffer.from(parsed.body), key.publicKey, parsed.signature))
    return refuse('its proof does not verify: the signature is wrong or the proof was altered');
  if (typeof claims.iat !== 'number' || claims.iat > at + SKEW_SECONDS)
    return refuse('its proof is issued in the future');
  if (claims.exp !== undefined && at > claims.exp)
    return refuse(`its proof expired at ${new Date(claims.exp * 1000).toISOString()}; ask for a new one`);
  if (claims.exp === undefined && !(claims.act === 'start' && claims.sub.startsWith('schedule:')))
    return refuse('its proof never expires, which only a schedule start may');
  if (claims.sub !== expected.user)
    return refuse(`its proof was issued to ${claims.sub}, but the message names ${expected.user}`);
  if (claims.act !== expected.action)
    return refuse(`its proof is for ${claims.act}, but the message is ${expected.action}`);
  const wfMatches = claims.wf.endsWith('*')
    ? expected.workflowId.startsWith(claims.wf.slice(0, -1))
    : claims.wf === expected.workflowId;
  if (!wfMatches) return refuse(`its proof is for ${claims.wf}, not ${expected.workflowId}`);
  if (claims.all !== expected.runWide)
    return refuse(
      claims.all
        ? 'its proof covers the whole run, but the message names cohorts'
        : 'its proof names cohorts, but the message covers the whole run',
    );
  const cohorts = [...expected.cohorts].sort();
  if (!sameList(claims.cohorts, cohorts))
    return refuse(
      `its proof covers ${claims.cohorts.join(', ') || 'no cohort'}, but the message covers ${cohorts.join(', ') || 'no cohort'}`,
    );
  if (claims.text !== textHash(expected.text))
    return refuse(
      expected.action === 'start'
        ? 'its proof was issued for another start input'
        : 'its comment or reason differs from the one the proof was issued for',
    );
  return {
    valid: true,
    ...(claims.nonce ? { nonce: claims.nonce } : {}),
    ...(claims.exp ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {}),
  };
}
