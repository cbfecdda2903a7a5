import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './db';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Applies the numbered, forward-only .sql migrations not applied yet, each in its own transaction. */
export async function migrate(db: Db): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied = new Set(
    (await db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
  );
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
  const done: string[] = [];
  for (const name of files.filter((f) => !applied.has(f))) {
    const sql = await fs.readFile(path.join(MIGRATIONS_DIR, name), 'utf8');
    await db.transaction(async (tx) => {
      // A concurrent starter may race us: the lock makes the second one wait, then skip.
      await tx.query('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const again = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]);
      if (again.rowCount) return;
      await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      done.push(name);
    });
  }
  return done;
}
