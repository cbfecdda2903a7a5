import type { Sprinkler } from './bad-rows';
import type { Calendar } from './calendar';
import { ANONYMOUS_SALT, anonymousId, productUserId, USER_SALT } from './population';
import { WHO, type ProductDay } from './product-day';
import { mix32 } from './random';
import { csvCell, type SourceFormat, type SourceRecord } from './rows';
import type { RowFiles } from './row-files';
import { EVENT_VARIANTS } from './world';

// Per-row code uses module-level bindings: tsx compiles imports to getters, which would cost
// more than the rest of a row.
const mixId = mix32;
const userSalt = USER_SALT;
const anonymousSalt = ANONYMOUS_SALT;
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const WHO_KINDS = 3;

/** A whole row of one event variant with placeholders, and where its variable parts go. */
interface RowTemplate {
  bytes: Uint8Array;
  id: number;
  user: number;
  anonymous: number;
  time: number;
}

/**
 * Writes product events, the bulk of every data set: each row is one copy of a prepared
 * template (variant × who × day) into the output buffer, then its id, user ids and clock
 * written digit by digit. No string, object or JSON.stringify per row, so almost no garbage.
 */
export class ProductRows {
  /** The event id's nine digits as ASCII, counted up in place. */
  private readonly idDigits = new Uint8Array(9).fill(48);
  private seq = 0;
  private templates: RowTemplate[] = [];

  constructor(
    private readonly calendar: Calendar,
    private readonly format: SourceFormat,
    private readonly sprinkler: Sprinkler,
    private readonly files: RowFiles,
  ) {}

  async writeDay(day: number, events: ProductDay): Promise<void> {
    const { files, sprinkler } = this;
    this.templates = this.templatesFor(day);
    const order = events.inTimeOrder();
    for (let o = 0; o < order.length; o += 1) {
      const k = order[o]!;
      this.encode(events, k);
      if (sprinkler.afterRow(files)) sprinkler.addBad(files, this.record(day, events, k));
      if (files.due) await files.flush();
    }
  }

  async finish(): Promise<void> {
    this.sprinkler.finish(this.files);
    await this.files.close();
  }

  private encode(events: ProductDay, k: number): void {
    const files = this.files;
    const who = events.who[k]!;
    const t = this.templates[events.variant[k]! * WHO_KINDS + who]!;
    files.room(t.bytes.length);
    const b = files.buf;
    const p = files.pos;
    b.set(t.bytes, p);
    const digits = this.idDigits;
    for (let j = 8; j >= 0; j -= 1) {
      if (digits[j] !== 57) {
        digits[j]! += 1;
        break;
      }
      digits[j] = 48;
    }
    this.seq += 1;
    for (let j = 0; j < 9; j += 1) b[p + t.id + j] = digits[j]!;
    const customer = events.customer[k]!;
    if (t.user >= 0) hex8(b, p + t.user, mixId(customer ^ userSalt));
    if (t.anonymous >= 0) hex8(b, p + t.anonymous, mixId(customer ^ anonymousSalt));
    clock(b, p + t.time, events.msOfDay[k]!);
    files.rowEnds(p + t.bytes.length);
  }

  private templatesFor(day: number): RowTemplate[] {
    const date = this.calendar.iso(day, 0).slice(0, 11);
    const csv = this.format === 'csv';
    const templates: RowTemplate[] = [];
    for (const variant of EVENT_VARIANTS) {
      for (let who = 0; who < WHO_KINDS; who += 1) {
        const user = who === WHO.anonymous ? undefined : 'u_########';
        const anonymous = who === WHO.user ? undefined : 'anon_########';
        const time = `${date}hh:mm:ss.mmmZ`;
        const text = csv
          ? `pe_#########,${user ?? ''},${anonymous ?? ''},${variant.type},${time},${csvCell(variant.properties)}\n`
          : `${JSON.stringify({ event_id: 'pe_#########', user_id: user, anonymous_id: anonymous, type: variant.type, timestamp: time, properties: variant.properties })}\n`;
        templates.push({
          bytes: Buffer.from(text, 'latin1'),
          id: text.indexOf('pe_#') + 3,
          user: user ? text.indexOf('u_#') + 2 : -1,
          anonymous: anonymous ? text.indexOf('anon_#') + 5 : -1,
          time: text.indexOf('hh:mm'),
        });
      }
    }
    return templates;
  }

  /** The row just encoded as fields, for a broken copy of it. */
  private record(day: number, events: ProductDay, k: number): SourceRecord<'product'> {
    const who = events.who[k]!;
    const variant = EVENT_VARIANTS[events.variant[k]!]!;
    return {
      event_id: `pe_${String(this.seq).padStart(9, '0')}`,
      user_id: who === WHO.anonymous ? undefined : productUserId(events.customer[k]!),
      anonymous_id: who === WHO.user ? undefined : anonymousId(events.customer[k]!),
      type: variant.type,
      timestamp: this.calendar.iso(day, events.msOfDay[k]!),
      properties: variant.properties,
    };
  }
}

function hex8(b: Uint8Array, p: number, x: number): void {
  for (let j = 7; j >= 0; j -= 1) {
    b[p + j] = HEX[x & 15]!;
    x >>>= 4;
  }
}

/** `hh:mm:ss.mmm` over the placeholder. */
function clock(b: Uint8Array, p: number, msOfDay: number): void {
  const ms = msOfDay % 1000;
  const s = (msOfDay - ms) / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const sec = s % 60;
  b[p] = 48 + Math.floor(h / 10);
  b[p + 1] = 48 + (h % 10);
  b[p + 3] = 48 + Math.floor(m / 10);
  b[p + 4] = 48 + (m % 10);
  b[p + 6] = 48 + Math.floor(sec / 10);
  b[p + 7] = 48 + (sec % 10);
  b[p + 9] = 48 + Math.floor(ms / 100);
  b[p + 10] = 48 + (Math.floor(ms / 10) % 10);
  b[p + 11] = 48 + (ms % 10);
}
