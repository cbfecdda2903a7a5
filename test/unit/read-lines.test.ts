import { isUtf8 } from 'node:buffer';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { escaped, FileFault, firstNonText, readLines, type BadLine } from '../../src/ingest/read-lines';
import { badRow } from '../../src/ingest/quarantine';

describe('reading a file as lines of UTF-8 text', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-lines-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function lines(name: string, content: Buffer): Promise<Array<string | BadLine>> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const out: Array<string | BadLine> = [];
    for await (const batch of readLines(file)) out.push(...batch);
    return out;
  }

  it('finds the first byte that is not UTF-8 text exactly where Node’s own validator disagrees', () => {
    // Random bytes biased towards multi-byte lead and continuation bytes, where the edge cases are.
    const alphabet = [
      0x41, 0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f,
    ];
    const disagreements: string[] = [];
    for (let n = 0; n < 20_000; n += 1) {
      const b = Buffer.from(Array.from({ length: 1 + (n % 9) }, () => alphabet[crypto.randomInt(alphabet.length)]!));
      const at = firstNonText(b);
      const text = (x: Buffer) => isUtf8(x) && x.indexOf(0) < 0;
      // The whole is text exactly when no bad byte is found, and everything before a bad byte is text.
      if (at < 0 !== text(b) || (at >= 0 && !text(b.subarray(0, at))))
        disagreements.push(`${b.toString('hex')}: ${at}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('writes the offending bytes as \\xNN and keeps every character around them', () => {
    expect(escaped(Buffer.from([0x4b, 0xf6, 0x6c, 0x6e, 0x20, 0xe2, 0x82, 0xac, 0x00, 0xe2, 0x82]))).toBe(
      'K\\xf6ln €\\x00\\xe2\\x82',
    );
  });

  it('never splits a character across read chunks, nor takes a valid U+FFFD for a bad byte', async () => {
    const line = '€😀\uFFFD'.repeat(600_000); // over 4 MiB: several read chunks
    expect(await lines('wide.ndjson', Buffer.from(`${line}\nx\n`))).toEqual([line, 'x']);
  });

  it('drops the incomplete line at a gzip fault and says how many bytes of the file it read', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `row ${i} ${crypto.randomBytes(8).toString('hex')}`).join(
      '\n',
    );
    const gz = zlib.gzipSync(text);
    const cut = gz.subarray(0, gz.length - 100);
    const out: string[] = [];
    let fault: unknown;
    try {
      fs.writeFileSync(path.join(dir, 'cut.gz'), cut);
      for await (const batch of readLines(path.join(dir, 'cut.gz'))) out.push(...(batch as string[]));
    } catch (err) {
      fault = err;
    }
    expect(fault).toBeInstanceOf(FileFault);
    expect(fault).toMatchObject({ bytesRead: cut.length });
    expect(out.length).toBeGreaterThan(0);
    expect(out).toEqual(text.split('\n').slice(0, out.length)); // every line given out is whole
  });

  it('cuts a bad row to 64 KiB of whole characters and records its full length', () => {
    const row = badRow({ line: 7, raw: `x${'€'.repeat(40_000)}` }, 'not valid JSON');
    expect(Buffer.byteLength(row.raw)).toBe(1 + 3 * 21_845);
    expect(row).toMatchObject({ line: 7, rawLength: 120_001, cut: true, rawBytes: null });
    expect(badRow({ line: 1, raw: 'short' }, 'r')).toMatchObject({ raw: 'short', rawLength: 5, cut: false });
  });
});
