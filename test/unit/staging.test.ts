import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRows } from '../../src/ingest/read-rows';
import { stageRow } from '../../src/ingest/staging';
import { plainIsoMs, toUtcMs } from '../../src/ingest/timestamps';
import { SourceConfig } from '../../src/sources/config';
import { generateSources } from '../../src/sources/generate';
import { ProductRow } from '../../src/sources/kinds';

// The product fast path must answer exactly as the schema does, or not at all.
const NOW = new Date('2026-03-01T15:30:00Z');
const LATEST = NOW.getTime() + 86_400_000;
const product = SourceConfig.parse({ name: 'product', kind: 'product' });

/** The schema's own answer: stageRow with the fast path out of the way (a non-product source). */
function bySchema(record: Record<string, unknown>, line = 1) {
  const parsed = ProductRow.safeParse(record);
  if (!parsed.success) return 'rejected';
  const staged = stageRow(product, { ...record, event_id: ` ${String(parsed.data.event_id)}` }, line, LATEST); // a leading space forces the schema path
  return staged;
}

const normalise = (s: ReturnType<typeof stageRow> | 'rejected') => {
  if (s === 'rejected' || 'reason' in s || s.table !== 'stage_events') return 'rejected';
  return { ...s.row, properties: JSON.parse(s.row.properties) as unknown };
};

describe('product rows: fast path and schema agree', () => {
  it.each([
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
    [
      {
        event_id: 'e1',
        user_id: 'u1',
        anonymous_id: 'a1',
        type: 'identify',
        timestamp: '2026-02-01T10:00:00.5Z',
        properties: '{"x":1}',
      },
    ],
    [{ event_id: 'e1', anonymous_id: 'a1', type: 'page_view', timestamp: '2026-02-01T10:00:00.123Z', properties: '' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00.12Z', properties: null }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-30T10:00:00Z' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T24:00:00Z' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2027-02-01T10:00:00Z' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2024-02-29T10:00:00Z' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z', properties: '[1]' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z', properties: '{bad' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z', properties: 'null' }],
    [{ event_id: 'e1', user_id: 'u1', type: 'Login', timestamp: '2026-02-01T10:00:00Z' }],
    [{ event_id: 'e1', user_id: '', anonymous_id: '', type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
    [{ event_id: '', user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
    [{ event_id: 'x'.repeat(257), user_id: 'u1', type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
    [{ event_id: 'e1', user_id: 'u1 ', type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
    [{ event_id: 'e1', user_id: 7, type: 'login', timestamp: '2026-02-01T10:00:00Z' }],
  ])('%j', (record) => {
    expect(normalise(stageRow(product, record, 1, LATEST))).toEqual(normalise(bySchema(record)));
  });

  it('on every row of generated data with every sort of bad row', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-staging-'));
    try {
      for (const format of ['csv', 'ndjson'] as const) {
        await generateSources(dir, { customers: 200, days: 20, seed: 5, now: NOW, format, badRowRate: 0.05 });
        let compared = 0;
        for await (const row of readRows(path.join(dir, `product-0001.${format}`))) {
          if ('error' in row) continue;
          expect(normalise(stageRow(product, row.record, row.line, LATEST))).toEqual(
            normalise(bySchema(row.record, row.line)),
          );
          compared += 1;
        }
        expect(compared).toBeGreaterThan(1000);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plain ISO timestamps', () => {
  it.each([
    '2026-03-01T12:00:00Z',
    '2026-03-01T12:00:00.1Z',
    '2026-03-01T12:00:00.12Z',
    '2026-12-31T23:59:59.999Z',
    '2024-02-29T00:00:00Z',
  ])('%s reads as Date.parse does', (t) => {
    expect(plainIsoMs(t)).toBe(Date.parse(t));
  });
  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-03-01T12:60:00Z',
    '2026-03-01 12:00:00Z',
    '2026-03-01T12:00:00+01:00',
    '0099-03-01T12:00:00Z',
    '2026-03-01T12:00:00.1234Z',
  ])('%s is left to the full reader', (t) => {
    expect(plainIsoMs(t)).toBeUndefined();
  });
  it('the full reader still reads the forms the fast one leaves', () => {
    expect(toUtcMs('2026-03-01T12:00:00+01:00', 'UTC')).toBe(Date.parse('2026-03-01T11:00:00Z'));
    expect(toUtcMs('2026-02-29T00:00:00Z', 'UTC')).toBeUndefined();
  });
});
