import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { FileFault } from '../../src/ingest/read-lines';
import { csvFields, readRows, type RecordRow } from '../../src/ingest/read-rows';

describe('reading source files', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-read-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function read(name: string, content: string | Buffer, after = 0): Promise<RecordRow[]> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const out: RecordRow[] = [];
    for await (const row of readRows(file, after)) out.push(row);
    return out;
  }

  describe('CSV fields', () => {
    it.each([
      ['a,b,c', ['a', 'b', 'c']],
      ['a,,c,', ['a', '', 'c', '']],
      ['"a,1","say ""hi""",c', ['a,1', 'say "hi"', 'c']],
      ['"",x', ['', 'x']],
      ['"{""k"":1}"', ['{"k":1}']],
      ['ab"c,d', ['ab"c', 'd']],
    ])('%s', (text, fields) => expect(csvFields(text)).toEqual(fields));

    it('says when a quoted field is still open or has text after its closing quote', () => {
      expect(csvFields('a,"b')).toBe('open');
      expect(csvFields('"a"b,c')).toBe('text after a closing quote in field 1');
    });
  });

  it('reads CSV records by header, numbering each by its first line, across quoted line breaks and CRLF', async () => {
    const rows = await read('x.csv', 'id,note\r\n1,plain\r\n2,"two\nlines"\r\n\r\n3,"a ""quote"""\r\n');
    expect(rows).toEqual([
      { line: 2, raw: '1,plain', record: { id: '1', note: 'plain' } },
      { line: 3, raw: '2,"two\nlines"', record: { id: '2', note: 'two\nlines' } },
      { line: 6, raw: '3,"a ""quote"""', record: { id: '3', note: 'a "quote"' } },
    ]);
  });

  it('reports malformed CSV rows with their line and reason, and goes on', async () => {
    const rows = await read('bad.csv', 'id,note\n1\n"2"x,y\n3,ok\n4,"never closed\n');
    expect(rows).toEqual([
      { line: 2, raw: '1', error: 'wrong number of columns (expected 2, got 1)' },
      { line: 3, raw: '"2"x,y', error: 'text after a closing quote in field 1' },
      { line: 4, raw: '3,ok', record: { id: '3', note: 'ok' } },
      { line: 5, raw: '4,"never closed', error: 'a quoted field is never closed' },
    ]);
  });

  it('reads NDJSON (gzip too) and skips rows up to a resume line', async () => {
    const text = '{"a":1}\n\n[1]\n{bad\n{"a":2}';
    const rows = await read('x.ndjson.gz', zlib.gzipSync(text), 1);
    expect(rows.map((r) => [r.line, 'error' in r ? r.error.slice(0, 14) : r.record])).toEqual([
      [3, 'not a JSON obj'],
      [4, 'not valid JSON'],
      [5, { a: 2 }],
    ]);
  });

  it('keeps multi-byte characters split across read chunks intact', async () => {
    const note = 'é€😀'.repeat(300_000); // several MiB: spans many 1 MiB chunks
    const rows = await read('wide.csv', `id,note\n1,${note}\n2,x\n`);
    expect(rows).toHaveLength(2);
    expect((rows[0] as { record: Record<string, string> }).record.note).toBe(note);
  });

  it('quarantines a CSV record one of whose lines is not UTF-8 as one bad row at its first line, exact bytes kept', async () => {
    const bad = Buffer.from('tw\xf6"', 'latin1');
    const file = Buffer.concat([Buffer.from('id,note\n1,"one\n'), bad, Buffer.from('\n2,ok\n')]);
    const rows = await read('latin.csv', file);
    expect(rows).toEqual([
      {
        line: 2,
        raw: '1,"one\ntw\\xf6"',
        error:
          'line 3 of the record: not valid UTF-8 text: byte 0xf6 at byte offset 17 of the file (byte 2 of the line)',
        rawLength: 11,
        rawBytes: Buffer.concat([Buffer.from('1,"one\n'), bad]),
      },
      { line: 4, raw: '2,ok', record: { id: '2', note: 'ok' } },
    ]);
  });

  it('refuses a CSV file whose header is not UTF-8 text: the file is at fault, not a row', async () => {
    await expect(read('header.csv', Buffer.from('id,n\xf6te\n1,x\n', 'latin1'))).rejects.toThrow(FileFault);
  });
});
