/** Who a product event names: the logged-in user, only a browser id, or both (identify). */
export const WHO = { user: 0, anonymous: 1, both: 2 } as const;

/**
 * One day of product events as parallel typed arrays (no object per event), sorted by time of
 * day before writing. Memory is bounded by the busiest day, not by the whole data set.
 */
export class ProductDay {
  size = 0;
  msOfDay = new Uint32Array(1 << 16);
  customer = new Uint32Array(1 << 16);
  variant = new Uint16Array(1 << 16);
  who = new Uint8Array(1 << 16);
  private order = new Uint32Array(1 << 16);
  private scratch = new Uint32Array(1 << 16);
  private readonly lowCounts = new Uint32Array(1 << 14);
  private readonly highCounts = new Uint32Array(1 << 13);

  push(msOfDay: number, customer: number, variant: number, who: number): void {
    if (this.size === this.msOfDay.length) this.grow();
    const k = this.size;
    this.msOfDay[k] = msOfDay;
    this.customer[k] = customer;
    this.variant[k] = variant;
    this.who[k] = who;
    this.size = k + 1;
  }

  /**
   * Event indices in time order; ties keep the order they were generated in. A two-pass radix
   * sort (low 14 bits, then high 13 bits of the time of day): linear, where a comparison sort
   * dominated the profile.
   */
  inTimeOrder(): Uint32Array {
    const { size, msOfDay, scratch, order, lowCounts: low, highCounts: high } = this;
    low.fill(0);
    high.fill(0);
    for (let k = 0; k < size; k += 1) {
      low[msOfDay[k]! & 0x3fff]! += 1;
      high[msOfDay[k]! >>> 14]! += 1;
    }
    toOffsets(low);
    toOffsets(high);
    for (let k = 0; k < size; k += 1) scratch[low[msOfDay[k]! & 0x3fff]!++] = k;
    for (let j = 0; j < size; j += 1) {
      const k = scratch[j]!;
      order[high[msOfDay[k]! >>> 14]!++] = k;
    }
    return order.subarray(0, size);
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const n = this.msOfDay.length * 2;
    const grown = <T extends Uint32Array | Uint16Array | Uint8Array>(a: T, make: (n: number) => T) => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.msOfDay = grown(this.msOfDay, (x) => new Uint32Array(x));
    this.customer = grown(this.customer, (x) => new Uint32Array(x));
    this.variant = grown(this.variant, (x) => new Uint16Array(x));
    this.who = grown(this.who, (x) => new Uint8Array(x));
    this.order = new Uint32Array(n);
    this.scratch = new Uint32Array(n);
  }
}

/** Counts per bucket → the first position of each bucket. */
function toOffsets(counts: Uint32Array): void {
  let sum = 0;
  for (let d = 0; d < counts.length; d += 1) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
}
