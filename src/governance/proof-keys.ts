import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

// Who holds which key: the API process holds the Ed25519 private key that signs proofs; every
// worker holds a keyring of public keys (key id → public key, with an optional retirement time),
// several at once while a key is rotated. A key id is derived from its public key, so a keyring
// entry cannot name the wrong key.

export interface SigningKey {
  kid: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

export interface TrustedKey {
  publicKey: crypto.KeyObject;
  /** After this moment the key proves nothing: a retired key. */
  notAfter?: Date;
}

export type Keyring = Map<string, TrustedKey>;

/** The raw 32 bytes of an Ed25519 public key, base64url: what a keyring lists. */
export const publicKeyText = (publicKey: crypto.KeyObject): string =>
  publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64url');

export const keyIdOf = (publicKey: crypto.KeyObject): string =>
  `ed25519-${crypto.createHash('sha256').update(publicKeyText(publicKey)).digest('hex').slice(0, 16)}`;

// An Ed25519 SubjectPublicKeyInfo is this fixed prefix followed by the 32 key bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function publicKeyFrom(text: string): crypto.KeyObject {
  const raw = Buffer.from(text, 'base64url');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (base64url)');
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function signingKeyFrom(pem: string): SigningKey {
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the decision signing key must be an Ed25519 key');
  const publicKey = crypto.createPublicKey(privateKey);
  return { kid: keyIdOf(publicKey), privateKey, publicKey };
}

export function generateSigningKeyPem(): string {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Reads the signing key; with `create`, writes a new one (0600) when the file is missing. */
export function loadSigningKeyFile(file: string, options: { create?: boolean } = {}): SigningKey {
  if (options.create && !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
  }
  try {
    return signingKeyFrom(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`decision signing key ${file}: ${(err as Error).message}`, { cause: err });
  }
}

const KeyringEntry = z
  .object({
    publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an Ed25519 public key: 32 bytes, base64url'),
    notAfter: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export const KeyringDocument = z.record(z.string(), KeyringEntry);
export type KeyringDocument = z.infer<typeof KeyringDocument>;

/** A keyring from its JSON form; an entry whose id is not its key's id is refused. */
export function keyringFrom(doc: KeyringDocument): Keyring {
  const ring: Keyring = new Map();
  for (const [kid, entry] of Object.entries(doc)) {
    const publicKey = publicKeyFrom(entry.publicKey);
    if (keyIdOf(publicKey) !== kid)
      throw new Error(`keyring entry ${kid}: its public key's id is ${keyIdOf(publicKey)}`);
    ring.set(kid, { publicKey, ...(entry.notAfter ? { notAfter: new Date(entry.notAfter) } : {}) });
  }
  return ring;
}

/** The keyring entry of a signing key: what a worker is given to trust it. */
export const keyringEntryOf = (key: SigningKey): KeyringDocument => ({
  [key.kid]: { publicKey: publicKeyText(key.publicKey) },
});
