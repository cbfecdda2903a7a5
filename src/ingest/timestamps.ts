const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const formats = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds the zone is ahead of UTC at that instant. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(instant / 1000) * 1000;
}

/**
 * An ISO 8601 text (already shape-checked) → epoch ms in UTC, or undefined when it names no
 * real moment (2025-02-30). Text without a zone is wall-clock time in `timeZone`.
 */
export function toUtcMs(text: string, timeZone: string): number | undefined {
  const t = text.replace(' ', 'T');
  const zoned = HAS_ZONE.test(t);
  const asWritten = Date.parse(zoned ? t : `${t.length === 10 ? `${t}T00:00:00` : t}Z`);
  if (Number.isNaN(asWritten)) return undefined;
  // Date.parse rolls 2025-02-30 over to March 2: a calendar date must survive the round trip.
  const wall = zoned ? asWritten + offsetOf(t) : asWritten;
  if (new Date(wall).toISOString().slice(0, 10) !== t.slice(0, 10)) return undefined;
  if (zoned || timeZone === 'UTC') return asWritten;
  const first = asWritten - zoneOffsetMs(asWritten, timeZone);
  const second = zoneOffsetMs(first, timeZone);
  return asWritten - second;
}

function offsetOf(text: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}
