import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../data/db';
import { loadAuditKeys, type AuditKeys } from './audit-keys';

// Signed checkpoints of the audit chain's head, kept outside the database. A database superuser
// can switch the triggers off, edit a row and recompute every later hash with the database's own
// functions; the chain alone then verifies. A checkpoint is (row id, hash, rows) signed with a
// key the database never holds, appended to a file: a rewritten prefix no longer has the signed
// hash at the checkpoint's row, and a log cut short no longer reaches it.

export interface AuditHead {
  /** The id of the newest row. */
  rowId: number;
  /** Its chain hash, which covers every row before it. */
  hash: string;
  /** Rows with an id up to rowId. */
  rows: number;
}

export interface AuditCheckpoint extends AuditHead {
  v: 1;
  keyId: string;
  /** When it was signed (ISO, UTC). */
  at: string;
  /** Base64 Ed25519 signature of checkpointText(). */
  signature: string;
}

/** A line of the checkpoint file that does not verify: edited, forged, or signed by a key no longer trusted. */
export interface RefusedCheckpoint {
  line: number;
  reason: string;
}

/** The text signed: a fixed layout, so nothing about JSON spelling can change what a signature covers. */
export const checkpointText = (c: AuditHead & { at: string }) =>
  ['cohortflow audit checkpoint v1', `row ${c.rowId}`, `hash ${c.hash}`, `rows ${c.rows}`, `at ${c.at}`].join('\n');

/**
 * The newest row, its hash and the rows up to it, in one statement (one snapshot). The chain's
 * trigger draws ids under a lock held until commit, so what a snapshot sees is a prefix of ids.
 */
export async function auditHead(db: Queryable): Promise<AuditHead | undefined> {
  const r = await db.query<{ id: number; hash: string; rows: number }>(
    `SELECT h.id, h.hash, (SELECT count(*) FROM audit_log a WHERE a.id <= h.id)::int AS rows
     FROM (SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1) h`,
  );
  const x = r.rows[0];
  return x ? { rowId: x.id, hash: x.hash, rows: x.rows } : undefined;
}

export function signCheckpoint(head: AuditHead, keys: Pick<AuditKeys, 'signer'>, at = new Date()): AuditCheckpoint {
  const stamped = { ...head, at: at.toISOString() };
  const signature = crypto.sign(null, Buffer.from(checkpointText(stamped), 'utf8'), keys.signer.privateKey);
  return { v: 1, keyId: keys.signer.keyId, ...stamped, signature: signature.toString('base64') };
}

const CheckpointShape = (x: unknown): x is AuditCheckpoint => {
  const c = x as Record<string, unknown> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.v === 1 &&
    typeof c.keyId === 'string' &&
    Number.isSafeInteger(c.rowId) &&
    typeof c.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(c.hash) &&
    Number.isSafeInteger(c.rows) &&
    typeof c.at === 'string' &&
    typeof c.signature === 'string'
  );
};

/** The checkpoints of a file's text that verify with a trusted key, and every line that does not. */
export function parseCheckpoints(
  text: string,
  trusted: ReadonlyMap<string, crypto.KeyObject>,
): { checkpoints: AuditCheckpoint[]; refused: RefusedCheckpoint[] } {
  const checkpoints: AuditCheckpoint[] = [];
  const refused: RefusedCheckpoint[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return refused.push({ line, reason: 'not a JSON checkpoint' });
    }
    if (!CheckpointShape(value))
      return refused.push({ line, reason: 'not a checkpoint (v, keyId, rowId, hash, rows, at, signature)' });
    const key = trusted.get(value.keyId);
    if (!key) return refused.push({ line, reason: `signed by key ${value.keyId}, which is not trusted here` });
    const ok = crypto.verify(
      null,
      Buffer.from(checkpointText(value), 'utf8'),
      key,
      Buffer.from(value.signature, 'base64'),
    );
    if (!ok) return refused.push({ line, reason: `the signature does not match its content (row ${value.rowId})` });
    checkpoints.push(value);
  });
  return { checkpoints, refused };
}

/** Where checkpoints are kept and with which keys: what `audit verify` and every checkpoint writer share. */
export interface AuditCheckpointStore {
  file: string;
  /**
   * Signs the current head and appends it; nothing when the log is empty, or (unless `force`)
   * when the head is the one this process wrote last.
   */
  write(db: Queryable, options?: { force?: boolean }): Promise<AuditCheckpoint | undefined>;
  read(): { checkpoints: AuditCheckpoint[]; refused: RefusedCheckpoint[] };
}

/**
 * A checkpoint file: one JSON line per checkpoint, appended (O_APPEND, one write per line, so
 * writers in several processes never interleave a line), created with mode 0600.
 */
export function checkpointFile(file: string, keys: AuditKeys): AuditCheckpointStore {
  let last: string | undefined;
  return {
    file,
    async write(db, options = {}) {
      const head = await auditHead(db);
      if (!head) return undefined;
      const id = `${head.rowId}:${head.hash}`;
      if (id === last && !options.force) return undefined;
      const checkpoint = signCheckpoint(head, keys);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.appendFile(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
      last = id;
      return checkpoint;
    },
    read() {
      if (!fs.existsSync(file)) return { checkpoints: [], refused: [] };
      return parseCheckpoints(fs.readFileSync(file, 'utf8'), keys.trusted);
    },
  };
}

/**
 * The configured checkpoint store. `generate` creates the signing key when it does not exist yet
 * (`npm start`'s embedded mode); worker and API processes of a deployment are given one.
 */
export function configuredCheckpoints(
  audit: { signingKeyFile: string; publicKeyFiles: string[]; checkpointFile: string },
  options: { generate: boolean },
): AuditCheckpointStore {
  const keys = loadAuditKeys({
    signingKeyFile: audit.signingKeyFile,
    publicKeyFiles: audit.publicKeyFiles,
    generate: options.generate,
  });
  // Created (0600) at start, so a file that cannot be written stops the process now rather than
  // failing the first audited activity.
  fs.mkdirSync(path.dirname(audit.checkpointFile), { recursive: true });
  fs.appendFileSync(audit.checkpointFile, '', { mode: 0o600 });
  return checkpointFile(audit.checkpointFile, keys);
}
