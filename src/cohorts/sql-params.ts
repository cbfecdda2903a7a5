/** Bind parameters: user values never enter the SQL text. $1 is asOf. */
export class Params {
  readonly values: unknown[];
  private readonly seen = new Map<string, string>();
  /**
   * `knownAt`: read what had happened by asOf as it was known later, at knownAt (rows ingested by
   * then, customers with a CRM record dated by asOf): how a model reconstructs past asOfs from
   * history loaded at once. Without it, only rows ingested by asOf count, as in every snapshot.
   */
  constructor(
    asOf: Date,
    readonly knownAt?: Date,
  ) {
    this.values = [asOf.toISOString()];
  }
  /** The moment a row must have been ingested by. */
  ingestedBy(): string {
    return this.knownAt ? `${this.add(this.knownAt.toISOString())}::timestamptz` : AS_OF;
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
