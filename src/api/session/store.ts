import crypto from 'node:crypto';
import type { Queryable } from '../../data/db';

// Dashboard sessions in Postgres (migration 012). The browser holds the session id; the table
// holds its sha256, the sha256 of the token it was opened with, and the CSRF token. Expired rows
// are refused on read and swept whenever someone signs in.

export interface OpenedSession {
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface StoredSession {
  tokenSha256: string;
  csrfToken: string;
  expiresAt: Date;
}

export const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** 32 random bytes, URL-safe: unguessable, and fits a cookie and a header as it is. */
const randomSecret = () => crypto.randomBytes(32).toString('base64url');

export interface SessionStore {
  open(tokenSha256: string): Promise<OpenedSession>;
  find(id: string): Promise<StoredSession | undefined>;
  close(id: string): Promise<void>;
}

export function sessionStore(db: Queryable, ttlMs: number): SessionStore {
  return {
    async open(tokenSha256) {
      const id = randomSecret();
      const csrfToken = randomSecret();
      const expiresAt = new Date(Date.now() + ttlMs);
      await db.query('DELETE FROM dashboard_sessions WHERE expires_at < now()');
      await db.query(
        'INSERT INTO dashboard_sessions (id_sha256, token_sha256, csrf_token, expires_at) VALUES ($1, $2, $3, $4)',
        [sha256(id), tokenSha256, csrfToken, expiresAt],
      );
      return { id, csrfToken, expiresAt };
    },
    async find(id) {
      const r = await db.query<{ token_sha256: string; csrf_token: string; expires_at: Date }>(
        'SELECT token_sha256, csrf_token, expires_at FROM dashboard_sessions WHERE id_sha256 = $1 AND expires_at > now()',
        [sha256(id)],
      );
      const row = r.rows[0];
      return row && { tokenSha256: row.token_sha256, csrfToken: row.csrf_token, expiresAt: row.expires_at };
    },
    async close(id) {
      await db.query('DELETE FROM dashboard_sessions WHERE id_sha256 = $1', [sha256(id)]);
    },
  };
}
