import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFile } from '../../src/ingest/load-file';
import { ErasedIdentifierFilter, recordErased } from '../../src/privacy/erased-identifiers';
import { DEFAULT_SOURCES } from '../../src/sources/config';
import { freshDatabase, type TestDatabase } from '../support/db';
import { testErasureKey } from '../support/erasure-key';

// An erasure that commits while a file is being read: the rows already judged against the list
// as it was are judged again, so none of the erased customer's rows is stored, and every row of
// the file is still accounted for exactly once.

const key = testErasureKey();
const product = DEFAULT_SOURCES.find((s) => s.kind === 'product')!;
let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await freshDatabase('erasure_during_ingest');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-erasure-race-'));
});
afterAll(async () => {
  await t.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('re-reads the chunks judged before an erasure committed, and refuses the erased rows', async () => {
  const users = ['u1', 'u2', 'u3', 'u4'];
  const events = Array.from({ length: 12 }, (_, i) => ({
    event_id: `e${i}`,
    user_id: users[i % users.length],
    type: 'login',
    timestamp: `2026-11-0${1 + (i % 9)}T10:00:00Z`,
  }));
  const file = path.join(dir, 'product-1.jsonl');
  fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');

  // The loader's view of the list is taken before the erasure commits (empty then).
  const filter = await ErasedIdentifierFilter.load(t.db, key);
  await t.db.transaction((tx) => recordErased(tx, key, [{ scheme: 'user_id', value: 'u3' }]));

  const counts = await loadFile(t.db, {
    runId: 'run-race',
    source: product,
    file,
    name: 'product-1.jsonl',
    sha256: 'race',
    erased: filter,
    chunkRows: 4,
  });

  const erased = events.filter((e) => e.user_id === 'u3').length;
  expect(counts).toMatchObject({ rowsRead: events.length, stored: events.length - erased, duplicates: 0, erased });
  const stored = await t.db.query<{ identity_value: string }>('SELECT DISTINCT identity_value FROM events ORDER BY 1');
  expect(stored.rows.map((r) => r.identity_value)).toEqual(['u1', 'u2', 'u4']);
  const progress = await t.db.query('SELECT rows_done, stored, erased FROM ingest_progress WHERE file = $1', [
    'product-1.jsonl',
  ]);
  expect(progress.rows).toEqual([{ rows_done: events.length, stored: events.length - erased, erased }]);
});
