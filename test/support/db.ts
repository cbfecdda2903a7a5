import crypto from 'node:crypto';
import pg from 'pg';
import { connect, type Db } from '../../src/data/db';
import { migrate } from '../../src/data/migrate';

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, migrated database on the test server, so every test file has its own data. With
 * `migrated: false` it is empty, for specifications of a migration itself.
 */
export async function freshDatabase(label = 'test', options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set (test/support/global-setup.ts sets it)');
  const name = `cf_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`); // name is built above from [a-z0-9_] only
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = connect(url.toString());
  if (options.migrated ?? true) await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const again = new pg.Client({ connectionString: adminUrl });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}
