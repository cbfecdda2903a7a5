// How figures read on every page: counts with separators, shares as percentages, money in USD,
// times in the reader's locale with UTC in the tooltip, durations and countdowns in words.

const numberFormat = new Intl.NumberFormat('en-US');
export const count = (n: number | null | undefined) => (n === null || n === undefined ? '–' : numberFormat.format(n));

export const pct = (share: number | null | undefined, digits = 1) =>
  share === null || share === undefined ? '–' : `${(share * 100).toFixed(digits)}%`;

export const usd = (x: number | null | undefined) =>
  x === null || x === undefined
    ? '–'
    : `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function figure(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? count(value) : String(Number(value.toPrecision(4)));
  return String(value);
}

export const dateTime = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '–';

export const day = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }) : '–';

/** 3 h 12 min, 45 s: the two largest units. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0 s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

export const age = (iso: string, now: number) => `${duration(now - new Date(iso).getTime())} ago`;

export function countdown(deadline: string, now: number): string {
  const left = new Date(deadline).getTime() - now;
  return left <= 0 ? 'deadline passed' : `${duration(left)} left`;
}
