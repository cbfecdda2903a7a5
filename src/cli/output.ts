// How every command prints: JSON for machines (--json), lines and tables for people.

export const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const write = (lines: string[]): void => {
  process.stdout.write(`${lines.join('\n')}\n`);
};

/** The answer as JSON with --json, otherwise as the lines `render` makes of it. */
export function show<T>(value: T, json: boolean | undefined, render: (value: T) => string[]): void {
  if (json) print(value);
  else write(render(value));
}

/** Columns padded to their widest cell; the last column runs free. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
