import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The keys of the audit log's signed checkpoints (Ed25519, node:crypto). The private key lives
// in a file the database never sees; verifying needs only public keys, so an auditor can check
// the log without being able to sign.

export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

export interface AuditKeys {
  /** Signs new checkpoints. */
  signer: { keyId: string; privateKey: crypto.KeyObject };
  /** Public keys by key id: the signer's and earlier ones still trusted (rotation). */
  trusted: Map<string, crypto.KeyObject>;
}

/** A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its SPKI DER. */
export const keyIdOf = (publicKey: crypto.KeyObject) =>
  crypto
    .createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);

/**
 * Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) and its public key beside it
 * (`<file>.pub`). Refuses to overwrite: losing a key makes its checkpoints unverifiable.
 */
export function generateAuditKey(file: string): { keyId: string; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  try {
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new AuditKeyError(`${file} already exists; a key is never overwritten (move it away first)`);
    throw err;
  }
  fs.writeFileSync(`${file}.pub`, publicKeyPem, { mode: 0o644 });
  return { keyId: keyIdOf(publicKey), publicKeyPem };
}

function readKey(file: string, kind: 'private' | 'public'): crypto.KeyObject {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditKeyError(`cannot read the audit ${kind} key ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let key: crypto.KeyObject;
  try {
    key = kind === 'private' ? crypto.createPrivateKey(pem) : crypto.createPublicKey(pem);
  } catch {
    // The key's text is never echoed: it is a secret.
    throw new AuditKeyError(`${file} is not a PEM ${kind} key`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new AuditKeyError(`${file} holds a ${key.asymmetricKeyType} key; audit checkpoints are signed with Ed25519`);
  return key;
}

/**
 * The signing key from `signingKeyFile` (created first when `generate` is set and it does not
 * exist: `npm start`'s embedded mode) and the earlier public keys still trusted.
 */
export function loadAuditKeys(options: {
  signingKeyFile: string;
  publicKeyFiles?: string[];
  generate?: boolean;
}): AuditKeys {
  if (options.generate && !fs.existsSync(options.signingKeyFile)) {
    try {
      generateAuditKey(options.signingKeyFile);
    } catch (err) {
      // Another process of the same start may have created it a moment ago.
      if (!(err instanceof AuditKeyError)) throw err;
    }
  }
  if (!fs.existsSync(options.signingKeyFile))
    throw new AuditKeyError(
      `the audit signing key ${options.signingKeyFile} does not exist; create one with \`cohortflow audit keygen --out ${options.signingKeyFile}\` and set AUDIT_SIGNING_KEY_FILE`,
    );
  const privateKey = readKey(options.signingKeyFile, 'private');
  const publicKey = crypto.createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  const trusted = new Map([[keyId, publicKey]]);
  for (const file of options.publicKeyFiles ?? []) {
    const earlier = readKey(file, 'public');
    trusted.set(keyIdOf(earlier), earlier);
  }
  return { signer: { keyId, privateKey }, trusted };
}
