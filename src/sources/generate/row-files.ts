import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** Bytes gathered before a write: big writes are cheap, and memory stays at a few MB. */
const FLUSH_BYTES = 1 << 20;
/** Room for the rows appended between two flushes beyond FLUSH_BYTES. */
const SLACK_BYTES = 1 << 16;
/** Bytes a stream may queue before `write` asks us to wait: generation overlaps disk and gzip work. */
const QUEUE_BYTES = 4 * FLUSH_BYTES;

/**
 * The files of one kind: `<kind>-0001.ndjson[.gz]`, a new file every `rowsPerFile` rows,
 * streamed with backpressure, optionally through gzip. Rows are appended synchronously to a
 * byte buffer (the product writer encodes straight into `buf`); when `due`, the caller awaits
 * `flush()`, which writes the buffer and waits for `drain` when the disk lags.
 */
export class RowFiles {
  files = 0;
  rows = 0;
  buf: Buffer = Buffer.allocUnsafe(FLUSH_BYTES + SLACK_BYTES);
  pos = 0;
  private lastStart = 0;
  private rowsInFile = 0;
  /** Buffer offsets where a file reached rowsPerFile: the next bytes go to a new file. */
  private cuts: number[] = [];
  private out: { head: Writable; done: Promise<void> } | undefined;
  /** Buffers the streams are done with, reused so memory stays flat. */
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly dir: string,
    private readonly kind: string,
    private readonly options: { extension: 'ndjson' | 'csv'; gzip: boolean; header?: string; rowsPerFile: number },
  ) {}

  get due(): boolean {
    return this.pos >= FLUSH_BYTES || this.cuts.length > 0;
  }

  /** Makes sure `bytes` more fit in `buf`. */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Appends one row given as text (without its newline). */
  line(text: string): void {
    this.room(text.length * 3 + 1);
    const end = this.pos + this.buf.write(text, this.pos, 'utf8');
    this.buf[end] = 10;
    this.rowEnds(end + 1);
  }

  /** Records a row whose bytes (newline included) were written into `buf` up to `end`. */
  rowEnds(end: number): void {
    this.lastStart = this.pos;
    this.pos = end;
    this.rows += 1;
    this.rowsInFile += 1;
    if (this.rowsInFile === this.options.rowsPerFile) {
      this.cuts.push(end);
      this.rowsInFile = 0;
    }
  }

  /** The last row appended, without its newline. */
  lastLine(): string {
    return this.buf.toString('utf8', this.lastStart, this.pos - 1);
  }

  async flush(): Promise<void> {
    const { buf, pos, cuts } = this;
    // The streams hold on to what they are given: a small remainder is copied, a full buffer
    // handed over and taken back for reuse once every part of it has been written.
    const handOver = pos >= SLACK_BYTES;
    if (handOver) this.buf = this.spare.pop() ?? Buffer.allocUnsafe(buf.length);
    this.pos = 0;
    this.lastStart = 0;
    this.cuts = [];
    let unwritten = 1;
    const written = () => {
      unwritten -= 1;
      if (unwritten === 0 && handOver && this.spare.length < 6 && buf.length === this.buf.length) this.spare.push(buf);
    };
    const part = async (from: number, to: number) => {
      if (to <= from) return;
      unwritten += 1;
      await this.send(handOver ? buf.subarray(from, to) : Buffer.from(buf.subarray(from, to)), written);
    };
    let start = 0;
    for (const cut of cuts) {
      await part(start, cut);
      await this.closeFile();
      start = cut;
    }
    await part(start, pos);
    written();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.out) await this.closeFile();
  }

  private async send(bytes: Buffer, written: () => void): Promise<void> {
    if (!this.out) this.open();
    const { head, done } = this.out!;
    if (!head.write(bytes, () => written()))
      await Promise.race([
        once(head, 'drain'),
        done.then(() => Promise.reject(new Error(`${this.kind} file closed while writing`))),
      ]);
  }

  private open(): void {
    this.files += 1;
    const name = `${this.kind}-${String(this.files).padStart(4, '0')}.${this.options.extension}${this.options.gzip ? '.gz' : ''}`;
    const file = fs.createWriteStream(path.join(this.dir, name), { highWaterMark: QUEUE_BYTES });
    const gzip = this.options.gzip ? zlib.createGzip({ highWaterMark: QUEUE_BYTES } as zlib.ZlibOptions) : undefined;
    const head: Writable = gzip ?? file;
    // Either rejects on an error of its streams (disk full, …); pipeline also destroys both.
    const done = gzip ? pipeline(gzip, file) : once(file, 'close').then(() => undefined);
    done.catch(() => undefined); // surfaced by send() and closeFile()
    this.out = { head, done };
    if (this.options.header !== undefined) head.write(`${this.options.header}\n`);
  }

  private async closeFile(): Promise<void> {
    const { head, done } = this.out!;
    head.end();
    await done;
    this.out = undefined;
  }
}
