import type { Calendar } from './calendar';
import { between, mix32, pickFrom, type Random } from './random';
import { DAY_MS, REGION_TABLE, REGIONS } from './world';

export const STAGE = { prospect: 0, trial: 1, paid: 2, churned: 3, reactivated: 4 } as const;
export const STAGE_NAMES = [undefined, 'trial', 'paid', 'churned', 'reactivated'] as const;
export const NEVER = 0x7fffffff;

/** Per-customer traits and state bits. */
export const TRAIT = {
  power: 1,
  noConsent: 2,
  /** The first CRM record lacks product_user_id; a later one links it. */
  lateLink: 4,
  /** Browses anonymously for a few days, then signs up with an identify event. */
  anonymousFirst: 8,
  /** Has a billing customer id (paid at least once). */
  billed: 16,
  /** The CRM already carries the product_user_id. */
  linked: 32,
  reactivatedBefore: 64,
} as const;

const idDigits = (i: number) => String(i + 1).padStart(6, '0');
const hex8 = (x: number) => x.toString(16).padStart(8, '0');

/** Identifiers of customer i in each system; product and billing ids are unrelated-looking. */
export const crmId = (i: number): string => `crm_${idDigits(i)}`;
export const email = (i: number): string => `user${idDigits(i)}@example.com`;
export const USER_SALT = 0x5bd1e995;
export const ANONYMOUS_SALT = 0x27d4eb2f;
export const productUserId = (i: number): string => `u_${hex8(mix32(i ^ USER_SALT))}`;
export const anonymousId = (i: number): string => `anon_${hex8(mix32(i ^ ANONYMOUS_SALT))}`;
export const billingCustomerId = (i: number): string => `bc_${hex8(mix32(i ^ 0x165667b1))}`;

/** How exports mangle an email now and then; normalisation must undo it. */
export function messyEmail(i: number, rnd: Random): string {
  const clean = email(i);
  switch (Math.floor(rnd() * 3)) {
    case 0:
      return clean.toUpperCase();
    case 1:
      return ` U${clean.slice(1, clean.indexOf('@'))}@Example.com `;
    default:
      return `${clean}  `;
  }
}

const DAY = DAY_MS; // bound once: tsx compiles imports to getters, and this runs per event

/** A typical moment of a local working day (peaks mid-afternoon; a few night owls), in UTC ms of day. */
export function localActivityTime(rnd: Random, utcOffsetMin: number): number {
  const local = rnd() < 0.06 ? rnd() * DAY : (6 + ((rnd() + rnd()) / 2) * 17) * 3_600_000;
  return Math.floor((((local - utcOffsetMin * 60_000) % DAY) + DAY) % DAY);
}

/**
 * Everyone the generator simulates, as typed arrays: memory grows with customers (~40 bytes
 * each), never with rows.
 */
export class Population {
  readonly signupDay: Int32Array;
  /** Habitual time of day (UTC ms): signup, renewals and CRM changes happen then. */
  readonly habit: Int32Array;
  readonly region: Uint8Array;
  readonly traits: Uint8Array;
  readonly stage: Uint8Array;
  readonly plan: Uint8Array;
  /** Next lifecycle step (trial end, renewal, retry, cancellation, reactivation). */
  readonly due: Int32Array;
  readonly failures: Uint8Array;
  /** Planned cancellation: activity fades in the weeks before it. */
  readonly churnDay: Int32Array;
  readonly intensity: Float32Array;
  readonly anonymousDays: Uint8Array;
  readonly linkDay: Int32Array;
  readonly withdrawDay: Int32Array;

  constructor(
    readonly size: number,
    calendar: Calendar,
    rnd: Random,
  ) {
    this.signupDay = new Int32Array(size);
    this.habit = new Int32Array(size);
    this.region = new Uint8Array(size);
    this.traits = new Uint8Array(size);
    this.stage = new Uint8Array(size);
    this.plan = new Uint8Array(size);
    this.due = new Int32Array(size);
    this.failures = new Uint8Array(size);
    this.churnDay = new Int32Array(size).fill(NEVER);
    this.intensity = new Float32Array(size);
    this.anonymousDays = new Uint8Array(size);
    this.linkDay = new Int32Array(size);
    this.withdrawDay = new Int32Array(size);
    for (let i = 0; i < size; i += 1) this.draw(i, calendar, rnd);
  }

  private draw(i: number, calendar: Calendar, rnd: Random): void {
    const region = pickFrom(rnd, REGION_TABLE);
    this.region[i] = region;
    // A third signed up before the window; signups inside it grow over time and dip at weekends.
    let signup = -between(rnd, 1, 365);
    if (rnd() >= 0.35) {
      signup = Math.floor(calendar.days * (rnd() < 0.5 ? rnd() : Math.sqrt(rnd())));
      const weekday = new Date(calendar.dayStart(signup)).getUTCDay();
      if ((weekday === 0 || weekday === 6) && rnd() < 0.4) signup = Math.floor(calendar.days * rnd());
    }
    this.signupDay[i] = signup;
    this.due[i] = signup;
    this.habit[i] = localActivityTime(rnd, REGIONS[region]!.utcOffsetMin);
    let traits = 0;
    if (rnd() < 0.05) traits |= TRAIT.power;
    if (rnd() < 0.035) traits |= TRAIT.noConsent;
    this.withdrawDay[i] = rnd() < 0.03 ? signup + between(rnd, 3, 150) : NEVER;
    if (rnd() < 0.12) {
      traits |= TRAIT.lateLink;
      this.linkDay[i] = signup + between(rnd, 1, 4);
    } else {
      this.linkDay[i] = signup;
    }
    if (rnd() < 0.3) {
      traits |= TRAIT.anonymousFirst;
      this.anonymousDays[i] = between(rnd, 1, 5);
    }
    this.traits[i] = traits;
    // Log-normal engagement with mean 1; power users do ten times as much.
    const z = (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3);
    this.intensity[i] = Math.exp(0.6 * z - 0.18) * (traits & TRAIT.power ? 10 : 1);
  }

  has(i: number, trait: number): boolean {
    return (this.traits[i]! & trait) !== 0;
  }

  signupAt(i: number, calendar: Calendar): number {
    return calendar.dayStart(this.signupDay[i]!) + this.habit[i]!;
  }
}
