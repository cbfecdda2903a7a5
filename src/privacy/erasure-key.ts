import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// The key that turns an erased customer's identifiers into the hashes ingest and delivery refuse.
// It lives in a file the database never sees: whoever reads the database (a superuser, a backup)
// cannot test a guessed email or id against the stored hashes without it.

export interface ErasureKey {
  /** Names the key without revealing it: stored beside every hash made with it. */
  keyId: string;
  secret: Buffer;
}

export class ErasureKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErasureKeyError';
  }
}

const KEY_BYTES = 32;

export const erasureKeyOf = (secret: Buffer): ErasureKey => ({
  keyId: crypto.createHmac('sha256', secret).update('cohortflow erasure key id').digest('hex').slice(0, 16),
  secret,
});

/** A new key: 32 random bytes, base64 on one line. */
export const newErasureKeyText = () => `${crypto.randomBytes(KEY_BYTES).toString('base64')}\n`;

/**
 * Reads the key file; with `generate` (`npm start`'s embedded mode) writes a new one (0600) first
 * when none exists. Worker and API processes of a deployment are given the same file, never one of
 * their own: hashes made with another key would not match.
 */
export function loadErasureKey(file: string, options: { generate?: boolean } = {}): ErasureKey {
  if (options.generate && !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, newErasureKeyText(), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ErasureKeyError(
      `cannot read the erasure key ${file} (ERASURE_KEY_FILE): ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  const secret = Buffer.from(text.trim(), 'base64');
  // The file's text is never echoed: it is a secret.
  if (secret.length < KEY_BYTES || secret.toString('base64') !== text.trim())
    throw new ErasureKeyError(`${file} (ERASURE_KEY_FILE) is not an erasure key: ${KEY_BYTES} or more bytes, base64`);
  return erasureKeyOf(secret);
}
