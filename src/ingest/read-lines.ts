import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

/** A line longer than this is no row: it is quarantined without being held whole in memory. */
export const MAX_LINE_BYTES = 16 << 20;
/** How much of a bad line's raw text quarantine keeps (its full length is recorded beside it). */
export const RAW_KEPT_BYTES = 64 << 10;
/** A NUL byte this early says the file is not text at all (the heuristic git and grep use). */
const BINARY_SNIFF_BYTES = 8 << 10;

/** A line that cannot be read as UTF-8 text, or is too long to be a row. */
export interface BadLine {
  /** For people: the text, with every byte that is not UTF-8 text written as \xNN; cut to RAW_KEPT_BYTES. */
  raw: string;
  /** The exact bytes (cut to RAW_KEPT_BYTES) when `raw` had to escape some. */
  rawBytes?: Buffer;
  /** The line's full length in bytes. */
  rawLength: number;
  reason: string;
}

/**
 * The file cannot be read on: not text, a truncated or corrupt gzip stream, an unreadable file.
 * Lines before the fault have been given out; the incomplete one at the fault has not.
 */
export class FileFault extends Error {
  constructor(
    readonly reason: string,
    /** Bytes of the file (as stored, compressed or not) read before the fault. */
    readonly bytesRead: number,
  ) {
    super(reason);
    this.name = 'FileFault';
  }
}

/**
 * Streams a file's lines (gzip or not), a batch per chunk read, split on the newline byte (which
 * never occurs inside a multi-byte character), so each line's bytes are judged before they are
 * decoded: a line that is not valid UTF-8, or holds a NUL, comes out as a BadLine naming the
 * offending byte, never as text with replacement characters. A chunk that is valid UTF-8
 * throughout (nearly every one) is decoded at once.
 */
export async function* readLines(
  file: string,
  /** Kept up to date with the bytes of the file read so far (as stored, compressed or not). */
  read: { bytesRead: number } = { bytesRead: 0 },
): AsyncGenerator<Array<string | BadLine>> {
  const input = fs.createReadStream(file, { highWaterMark: 4 << 20 });
  const gzip = /\.gz$/i.test(file);
  const content: Readable = gzip ? pipeline(input, zlib.createGunzip({ chunkSize: 4 << 20 }), () => undefined) : input;
  let carry: Buffer | undefined;
  let offset = 0; // of the carry's (or the next line's) first byte in the content
  let long: { head: Buffer; length: number } | undefined;
  let first = true;
  try {
    for await (const piece of content) {
      read.bytesRead = input.bytesRead;
      let buf = piece as Buffer;
      if (first) {
        first = false;
        const why = notText(buf, gzip);
        if (why) throw new FileFault(why, input.bytesRead);
      }
      if (long) {
        const nl = buf.indexOf(10);
        if (nl < 0) {
          long.length += buf.length;
          offset += buf.length;
          continue;
        }
        long.length += nl;
        offset += nl + 1;
        buf = buf.subarray(nl + 1);
        yield [overlong(long)];
        long = undefined;
      }
      if (carry) buf = Buffer.concat([carry, buf]);
      const end = buf.lastIndexOf(10);
      if (end < 0) {
        carry = undefined;
        if (buf.length > MAX_LINE_BYTES) {
          long = { head: Buffer.from(buf.subarray(0, RAW_KEPT_BYTES)), length: buf.length };
          offset += buf.length;
        } else if (buf.length > 0) carry = buf;
        continue;
      }
      carry = end + 1 < buf.length ? buf.subarray(end + 1) : undefined;
      yield linesOf(buf.subarray(0, end), offset);
      offset += end + 1;
    }
  } catch (err) {
    if (err instanceof FileFault) throw err;
    throw new FileFault(readFailure(err, gzip), input.bytesRead);
  }
  if (long) yield [overlong(long)];
  else if (carry) yield linesOf(carry, offset);
}

/** Why the file's first bytes say it is no text file; undefined when they could be text. */
function notText(head: Buffer, gzip: boolean): string | undefined {
  if (!gzip && head[0] === 0x1f && head[1] === 0x8b) return 'gzip-compressed content in a file not named .gz';
  const nul = head.subarray(0, BINARY_SNIFF_BYTES).indexOf(0);
  if (nul >= 0) return `not a text file: a NUL byte at byte offset ${nul} (binary data, or text in UTF-16)`;
  return undefined;
}

function readFailure(err: unknown, gzip: boolean): string {
  const e = err as NodeJS.ErrnoException;
  // Paths stay in the log, not in the reason shown to people.
  const message = String(e?.message ?? err).replace(/, \w+ '[^']*'$/, '');
  if (gzip && typeof e?.code === 'string' && e.code.startsWith('Z_'))
    return `truncated or corrupt gzip data: ${message} (${e.code})`;
  return `cannot read the file: ${message}`;
}

/** The lines of a run of whole lines (no trailing newline), `offset` its first byte in the content. */
function linesOf(body: Buffer, offset: number): Array<string | BadLine> {
  if (isUtf8(body) && body.indexOf(0) < 0) {
    const lines = body.toString('utf8').split('\n');
    if (body.length <= MAX_LINE_BYTES) return lines;
    return lines.map((l) => (l.length * 3 > MAX_LINE_BYTES ? longText(l) : l));
  }
  const out: Array<string | BadLine> = [];
  let start = 0;
  while (start <= body.length) {
    let nl = body.indexOf(10, start);
    if (nl < 0) nl = body.length;
    out.push(lineOf(body.subarray(start, nl), offset + start));
    start = nl + 1;
  }
  return out;
}

function longText(line: string): string | BadLine {
  const bytes = Buffer.from(line);
  if (bytes.length <= MAX_LINE_BYTES) return line;
  return overlong({ head: bytes.subarray(0, RAW_KEPT_BYTES), length: bytes.length });
}

function lineOf(bytes: Buffer, offset: number): string | BadLine {
  if (bytes.length > MAX_LINE_BYTES) return overlong({ head: bytes.subarray(0, RAW_KEPT_BYTES), length: bytes.length });
  const bad = firstNonText(bytes);
  if (bad < 0) return bytes.toString('utf8');
  const what = bytes[bad] === 0 ? 'a NUL byte (0x00)' : `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}`;
  const kept = bytes.subarray(0, RAW_KEPT_BYTES);
  return {
    raw: escaped(kept),
    rawBytes: Buffer.from(kept),
    rawLength: bytes.length,
    reason: `not valid UTF-8 text: ${what} at byte offset ${offset + bad} of the file (byte ${bad} of the line)`,
  };
}

function overlong(l: { head: Buffer; length: number }): BadLine {
  const bad = firstNonText(l.head);
  return {
    // The cut may fall inside a character: only whole characters are kept.
    raw: bad < 0 ? l.head.toString('utf8').replace(/\uFFFD$/, '') : escaped(l.head),
    ...(bad < 0 ? {} : { rawBytes: Buffer.from(l.head) }),
    rawLength: l.length,
    reason: `a line of ${l.length} bytes, over the ${MAX_LINE_BYTES >> 20} MiB a row may hold`,
  };
}

/** The text, every byte that is not part of a valid UTF-8 character (or is NUL) written as \xNN. */
export function escaped(bytes: Buffer): string {
  let out = '';
  let from = 0;
  for (;;) {
    const bad = firstNonText(bytes, from);
    if (bad < 0) return out + bytes.toString('utf8', from);
    out += `${bytes.toString('utf8', from, bad)}\\x${bytes[bad]!.toString(16).padStart(2, '0')}`;
    from = bad + 1;
  }
}

/**
 * The offset of the first byte at or after `from` that is NUL or not part of a well-formed
 * UTF-8 character (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF); -1 if none.
 */
export function firstNonText(b: Buffer, from = 0): number {
  let i = from;
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0) return i;
    if (c < 0x80) {
      i += 1;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k += 1) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}
