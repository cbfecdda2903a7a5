import type { BILLING_TYPES } from '../kinds';
import { isoSeconds, type Calendar } from './calendar';
import {
  billingCustomerId,
  crmId,
  email,
  messyEmail,
  NEVER,
  productUserId,
  STAGE,
  STAGE_NAMES,
  TRAIT,
  type Population,
} from './population';
import { WHO, type ProductDay } from './product-day';
import { between, mix32, type Random } from './random';
import type { TimedRecord } from './rows';
import { DAY_MS, IDENTIFY_VARIANT, PLAN, PLANS, priceText, REGIONS } from './world';

type BillingType = (typeof BILLING_TYPES)[number];
const ON_AGENDA = { link: 0, withdrawConsent: 1, refund: 2 } as const;
/** What a CRM record carries: the whole contact, or one change with the contact's keys. */
type CrmChange = 'contact' | 'plan' | 'link' | 'consent';
const TRIAL_DAYS = 14;

/**
 * Each customer's lifecycle: signup → 14-day trial → paid or dropped; monthly invoices (a few
 * fail and are retried), plan changes, refunds; cancellations, some reactivated later. Every
 * change writes a CRM record and the billing events that go with it. Lifecycle steps write the
 * whole contact; plan changes, late identity links and withdrawn consent write only the fields
 * that changed, as CRM change feeds do (the merge keeps each field's newest non-empty value).
 */
export class Lifecycle {
  /** This day's rows, in the order they happened once sorted by `at`. */
  readonly crmRows: Array<TimedRecord<'crm'>> = [];
  readonly billingRows: Array<TimedRecord<'billing'>> = [];
  /** Customers whose payment failed today: some of them write to support. */
  readonly paymentFailures: Array<{ customer: number; at: number }> = [];
  private readonly agenda: number[][];
  private billingSeq = 0;
  /** Before the window nothing is written: only the time of the last change is remembered. */
  private live = false;
  private lastChange = 0;
  /** Stories still to play (see GenerateOptions.stories): failed payments in the last days, win-backs. */
  private failuresToForce: number;
  private winBacksToForce: number;

  constructor(
    private readonly people: Population,
    private readonly calendar: Calendar,
    private readonly rnd: Random,
    private readonly messRnd: Random,
    stories = 0,
  ) {
    this.agenda = Array.from({ length: calendar.days }, () => []);
    this.failuresToForce = stories;
    this.winBacksToForce = stories;
  }

  /**
   * Plays history before the window silently. Customers who existed then get one CRM record of
   * their state, written by `snapshotRows` in the order of their last change.
   */
  openWindow(): { customers: Uint32Array; at: Float64Array } {
    const { people, calendar } = this;
    const existing: number[] = [];
    const lastChange = new Float64Array(people.size);
    for (let i = 0; i < people.size; i += 1) {
      this.lastChange = -Infinity;
      while (people.due[i]! < 0) this.step(i, people.due[i]!, calendar.dayStart(people.due[i]!) + people.habit[i]!);
      if (people.has(i, TRAIT.lateLink)) {
        if (people.linkDay[i]! < 0)
          this.touch(i, ON_AGENDA.link, calendar.dayStart(people.linkDay[i]!) + people.habit[i]! + 3_600_000);
        else if (people.linkDay[i]! < calendar.days) this.agenda[people.linkDay[i]!]!.push(i * 4 + ON_AGENDA.link);
      }
      if (people.withdrawDay[i]! < 0)
        this.touch(
          i,
          ON_AGENDA.withdrawConsent,
          calendar.dayStart(people.withdrawDay[i]!) + people.habit[i]! + 7_200_000,
        );
      else if (people.withdrawDay[i]! < calendar.days)
        this.agenda[people.withdrawDay[i]!]!.push(i * 4 + ON_AGENDA.withdrawConsent);
      if (people.signupDay[i]! < 0) {
        existing.push(i);
        lastChange[i] = this.lastChange;
      }
    }
    this.live = true;
    const customers = Uint32Array.from(existing).sort((a, b) => lastChange[a]! - lastChange[b]! || a - b);
    return { customers, at: lastChange };
  }

  /** CRM records of the customers who existed before the window, `count` from `from` on. */
  snapshotRows(
    snapshot: { customers: Uint32Array; at: Float64Array },
    from: number,
    count: number,
  ): Array<TimedRecord<'crm'>> {
    return Array.from(snapshot.customers.subarray(from, from + count), (i) => ({
      at: snapshot.at[i]!,
      record: this.crmRecord(i, snapshot.at[i]!),
    }));
  }

  /** The lifecycle steps and agenda items due on a window day (before `now`). */
  advance(day: number, product: ProductDay): void {
    const { people, calendar } = this;
    const start = calendar.dayStart(day);
    const length = calendar.dayLength(day);
    // A step writes rows up to ~1 min after its moment; none may come after `now`.
    const latest = length < DAY_MS ? length - 120_000 : DAY_MS;
    const due = people.due;
    for (let i = 0; i < people.size; i += 1) {
      if (due[i] !== day || people.habit[i]! >= latest) continue;
      const signingUp = people.stage[i] === STAGE.prospect;
      this.step(i, day, start + people.habit[i]!);
      if (signingUp && people.has(i, TRAIT.anonymousFirst))
        product.push(people.habit[i]!, i, IDENTIFY_VARIANT, WHO.both);
    }
    for (const item of this.agenda[day]!) {
      const at = Math.floor(this.rnd() * DAY_MS);
      if (at < length) this.touch(Math.floor(item / 4), item % 4, start + at);
    }
    this.agenda[day] = [];
  }

  /** Drops the day's rows once written. */
  clearDay(): void {
    this.crmRows.length = 0;
    this.billingRows.length = 0;
    this.paymentFailures.length = 0;
  }

  private step(i: number, day: number, at: number): void {
    const { people } = this;
    switch (people.stage[i]) {
      case STAGE.prospect:
        people.stage[i] = STAGE.trial;
        if (!people.has(i, TRAIT.lateLink)) people.traits[i]! |= TRAIT.linked;
        this.crm(i, at);
        people.due[i] = day + TRIAL_DAYS;
        return;
      case STAGE.trial:
        return this.endTrial(i, day, at);
      case STAGE.churned:
        return this.start(i, day, at, STAGE.reactivated, this.rnd() < 0.15 ? PLAN.enterprise : PLAN.pro);
      default:
        if (people.churnDay[i] === day) return this.cancel(i, day, at);
        return this.renew(i, day, at);
    }
  }

  private endTrial(i: number, day: number, at: number): void {
    const power = this.people.has(i, TRAIT.power);
    if (this.rnd() < (power ? 0.8 : 0.55))
      return this.start(i, day, at, STAGE.paid, this.rnd() < (power ? 0.45 : 0.2) ? PLAN.enterprise : PLAN.pro);
    this.people.stage[i] = STAGE.churned; // dropped after the trial, never paid
    this.people.due[i] = NEVER;
    this.crm(i, at);
  }

  private start(i: number, day: number, at: number, stage: number, plan: number): void {
    const { people } = this;
    people.stage[i] = stage;
    people.plan[i] = plan;
    people.failures[i] = 0;
    people.traits[i]! |= TRAIT.billed | (stage === STAGE.reactivated ? TRAIT.reactivatedBefore : 0);
    this.billing(i, at, 'subscription_started', false);
    this.billing(i, at + 2_000, 'invoice_paid', true);
    this.crm(i, at + 5_000);
    this.afterPayment(i, day);
  }

  /** A monthly renewal or a retry: maybe a plan change first, then the invoice. */
  private renew(i: number, day: number, at: number): void {
    const { people, rnd } = this;
    const failures = people.failures[i]!;
    if (failures === 0) {
      if (people.plan[i] === PLAN.pro && rnd() < 0.025)
        this.changePlan(i, at - 60_000, PLAN.enterprise, 'subscription_upgraded');
      else if (people.plan[i] === PLAN.enterprise && rnd() < 0.03)
        this.changePlan(i, at - 60_000, PLAN.pro, 'subscription_downgraded');
    }
    // A story: a renewal of the last three days fails, its retry not yet due when the window ends.
    const forced = failures === 0 && this.failuresToForce > 0 && day >= this.calendar.days - 3;
    if (forced) this.failuresToForce -= 1;
    if (forced || rnd() < [0.04, 0.35, 0.6][failures]!) {
      this.billing(i, at, 'payment_failed', true);
      people.failures[i] = failures + 1;
      if (this.live) this.paymentFailures.push({ customer: i, at });
      if (failures + 1 >= 3) return this.cancel(i, day, at + 60_000); // involuntary churn
      people.due[i] = day + (failures === 0 ? 3 : 4);
      return;
    }
    this.billing(i, at, 'invoice_paid', true);
    people.failures[i] = 0;
    this.afterPayment(i, day);
  }

  private afterPayment(i: number, day: number): void {
    const { people, rnd } = this;
    if (rnd() < 0.006) {
      const refundDay = day + between(rnd, 1, 10);
      if (this.live && refundDay < this.calendar.days) this.agenda[refundDay]!.push(i * 4 + ON_AGENDA.refund);
    }
    const churn = (people.has(i, TRAIT.power) ? 0.012 : 0.035) * (people.has(i, TRAIT.reactivatedBefore) ? 1.3 : 1);
    if (rnd() < churn) {
      people.churnDay[i] = day + between(rnd, 5, 25);
      people.due[i] = people.churnDay[i]!;
    } else {
      people.due[i] = day + 30;
    }
  }

  private changePlan(i: number, at: number, plan: number, type: BillingType): void {
    this.people.plan[i] = plan;
    this.billing(i, at, type, false);
    this.crm(i, at + 1_000, 'plan');
  }

  private cancel(i: number, day: number, at: number): void {
    const { people, rnd } = this;
    this.billing(i, at, 'subscription_cancelled', false);
    people.stage[i] = STAGE.churned;
    people.plan[i] = PLAN.free;
    people.churnDay[i] = NEVER;
    people.failures[i] = 0;
    this.crm(i, at + 5_000);
    const days = this.calendar.days;
    // A story: a customer who cancels two months before the end is back 20 to 30 days later.
    if (this.winBacksToForce > 0 && day >= days - 75 && day < days - 45) {
      this.winBacksToForce -= 1;
      people.due[i] = day + between(rnd, 20, 30);
      return;
    }
    people.due[i] = rnd() < (people.has(i, TRAIT.reactivatedBefore) ? 0.1 : 0.25) ? day + between(rnd, 20, 120) : NEVER;
  }

  /** A one-off change from the agenda: a late identity link, withdrawn consent, a refund. */
  private touch(i: number, what: number, at: number): void {
    if (what === ON_AGENDA.refund) return this.billing(i, at, 'refund', true);
    const link = what === ON_AGENDA.link;
    this.people.traits[i]! |= link ? TRAIT.linked : TRAIT.noConsent;
    this.crm(i, at, link ? 'link' : 'consent');
  }

  private crm(i: number, at: number, change: CrmChange = 'contact'): void {
    if (this.live) this.crmRows.push({ at, record: this.crmRecord(i, at, change) });
    else this.lastChange = Math.max(this.lastChange, at);
  }

  /** The whole contact, or for a partial change the contact's keys and the changed field only. */
  private crmRecord(i: number, at: number, change: CrmChange = 'contact') {
    const { people } = this;
    const whole = change === 'contact';
    return {
      crm_id: crmId(i),
      email: this.messRnd() < 0.04 ? messyEmail(i, this.messRnd) : email(i),
      product_user_id: (whole || change === 'link') && people.has(i, TRAIT.linked) ? productUserId(i) : undefined,
      billing_customer_id: whole && people.has(i, TRAIT.billed) ? billingCustomerId(i) : undefined,
      plan: whole || change === 'plan' ? PLANS[people.plan[i]!] : undefined,
      country: whole ? REGIONS[people.region[i]!]!.country : undefined,
      lifecycle_stage: whole ? STAGE_NAMES[people.stage[i]!] : undefined,
      signup_at: whole ? new Date(people.signupAt(i, this.calendar)).toISOString() : undefined,
      consent_marketing: whole || change === 'consent' ? !people.has(i, TRAIT.noConsent) : undefined,
      updated_at: new Date(at).toISOString(),
    };
  }

  private billing(i: number, at: number, type: BillingType, money: boolean): void {
    if (!this.live) return;
    const region = REGIONS[this.people.region[i]!]!;
    const plan = this.people.plan[i]!;
    this.billingSeq += 1;
    this.billingRows.push({
      at,
      record: {
        event_id: `be_${mix32(this.billingSeq).toString(16).padStart(8, '0')}`, // unique, unordered, like a payment provider's
        billing_customer_id: billingCustomerId(i),
        type,
        timestamp: isoSeconds(at),
        amount: money ? priceText(region, plan) : undefined,
        currency: money ? region.currency : undefined,
        plan: type.startsWith('subscription_') ? PLANS[plan] : undefined,
      },
    });
  }
}
