/** Bind parameters: user values never enter the SQL text. $1 is asOf. */
export class Params {
  readonly values: unknown[];
  private readonly seen = new Map<string, string>();
  constructor(asOf: Date) {
    this.values = [asOf.toISOString()];
  }
  add(value: unknown): string {
    const key = JSON.stringify(value);
    let ref = this.seen.get(key);
    if (!ref) {
      this.values.push(value);
      ref = `$${this.values.length}`;
      this.seen.set(key, ref);
    }
    return ref;
  }
}

export const AS_OF = '$1::timestamptz';
/** asOf's UTC day: the last day of every window. */
export const AS_OF_DAY = "($1::timestamptz AT TIME ZONE 'UTC')::date";
