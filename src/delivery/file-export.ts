import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import { useOf } from '../destinations/destination';
import { destinationRowSql } from './audience';

type FileDestination = Extract<Destination, { kind: 'file' }>;
const PAGE = 10_000;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes a file so readers see the old one or the whole new one: temp, fsync, rename, fsync the folder. */
async function writeAtomically(file: string, write: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const handle = await fs.open(temp, 'w');
  try {
    await write(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  const dir = await fs.open(path.dirname(file), 'r');
  await dir.sync().finally(() => dir.close());
}

/**
 * Writes `<folder>/<cohort>/v<version>/` full.* (members the destination may see) and diff.*
 * (adds/removes since what it acknowledged), in each configured format, then manifest.json with
 * counts and sha256s. The content depends only on the data, so a retry rewrites identical files.
 */
export async function exportCohortFiles(
  db: Db,
  destination: FileDestination,
  v: {
    cohortId: string;
    version: number;
    snapshotId: string | null;
    deliveryId: string;
    previousVersion: number | null;
  },
): Promise<void> {
  const dir = path.join(destination.folder, v.cohortId, `v${v.version}`);
  await fs.mkdir(dir, { recursive: true });
  const columns = [
    'customer_id',
    ...destination.fields.filter((f) => f !== 'customer_id'),
    ...(useOf(destination) === 'analysis' ? ['arm'] : []),
  ];
  // Erased customers never appear, not even from a snapshot computed while their erasure ran.
  const full = (after: number) =>
    db.query<{ no: number; row: Record<string, unknown> }>(
      `SELECT c.customer_no AS no, ${destinationRowSql(destination, '$2')} AS row
       FROM snapshot_chunks s CROSS JOIN LATERAL unnest(s.members) AS m (customer_no) JOIN customers c ON c.customer_no = m.customer_no
       WHERE s.snapshot_id = $1 AND m.customer_no > $3 AND c.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM delivery_suppressed x WHERE x.delivery_id = $2 AND x.customer_no = m.customer_no)
       ORDER BY m.customer_no LIMIT ${PAGE}`,
      [v.snapshotId, v.deliveryId, after],
    );
  const diff = (after: number) =>
    db.query<{ no: number; row: Record<string, unknown> }>(
      `SELECT i.seq AS no, (jsonb_build_object('change', i.kind) || (CASE WHEN i.kind = 'add' THEN ${destinationRowSql(destination, 'i.delivery_id')} ELSE json_build_object('customer_id', c.customer_id) END)::jsonb) AS row
       FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
       WHERE i.delivery_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT ${PAGE}`,
      [v.deliveryId, after],
    );
  const files: Record<string, { rows: number; sha256: string }> = {};
  for (const [name, pageOf, header] of [
    ['full', full, columns],
    ['diff', diff, ['change', ...columns]],
  ] as const) {
    for (const format of destination.formats) {
      const file = `${name}.${format}`;
      const sha = crypto.createHash('sha256');
      let rows = 0;
      await writeAtomically(path.join(dir, file), async (handle) => {
        const put = async (text: string) => {
          sha.update(text);
          await handle.write(text);
        };
        if (format === 'csv') await put(`${header.join(',')}\n`);
        for (let after = 0; ;) {
          const page = await pageOf(after);
          const lines = page.rows.map((r) =>
            format === 'csv'
              ? header.map((h) => csvCell(r.row[h])).join(',')
              : JSON.stringify(Object.fromEntries(header.map((h) => [h, r.row[h] ?? null]))),
          );
          if (lines.length) await put(`${lines.join('\n')}\n`);
          rows += page.rows.length;
          if (page.rows.length < PAGE) break;
          after = page.rows[page.rows.length - 1]!.no;
        }
      });
      files[file] = { rows, sha256: sha.digest('hex') };
    }
  }
  const manifest = {
    cohortId: v.cohortId,
    version: v.version,
    snapshotId: v.snapshotId,
    previousVersion: v.previousVersion,
    destination: destination.name,
    fields: columns,
    files,
  };
  await writeAtomically(path.join(dir, 'manifest.json'), async (h) => {
    await h.write(`${JSON.stringify(manifest, null, 2)}\n`);
  });
}
