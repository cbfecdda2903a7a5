import { isoWithOffset, type Calendar } from './calendar';
import { email, localActivityTime, messyEmail, STAGE, TRAIT, type Population } from './population';
import { between, pickFrom, type Random } from './random';
import type { TimedRecord } from './rows';
import { ENTERPRISE_PRIORITY_TABLE, PLAN, PRIORITY_TABLE, REGIONS, TICKET_PRIORITIES } from './world';

/** Chance that an active customer opens a ticket on an average day. */
const TICKETS_PER_CUSTOMER_DAY = 0.01;
const HOUR_MS = 3_600_000;

interface Closing {
  at: number;
  ticket: string;
  customer: number;
  priority: string;
  satisfaction: number | undefined;
}

/**
 * Support tickets: opened now and then (more by power users, enterprise and trial customers,
 * after a failed payment, and three times as many on a few burst days), closed hours to days
 * later with a satisfaction score; tickets still open at `now` have no closed row.
 */
export class SupportDesk {
  readonly rows: Array<TimedRecord<'support'>> = [];
  readonly burstDays: ReadonlySet<number>;
  private readonly closings: Closing[][];
  private ticketSeq = 0;
  /** The story's customers (GenerateOptions.stories): a ticket every third day near the end. */
  private struggling: number[] | undefined;

  constructor(
    private readonly people: Population,
    private readonly calendar: Calendar,
    private readonly rnd: Random,
    private readonly stories = 0,
  ) {
    this.closings = Array.from({ length: calendar.days }, () => []);
    const bursts = new Set<number>();
    for (let b = Math.max(1, Math.round(calendar.days / 30)); b > 0; b -= 1) {
      const first = Math.floor(rnd() * calendar.days);
      for (let d = first; d < Math.min(calendar.days, first + between(rnd, 1, 2)); d += 1) bursts.add(d);
    }
    this.burstDays = bursts;
  }

  open(day: number, paymentFailures: ReadonlyArray<{ customer: number; at: number }>): void {
    const { people, calendar, rnd } = this;
    const base = TICKETS_PER_CUSTOMER_DAY * calendar.activityFactor(day) * (this.burstDays.has(day) ? 3 : 1);
    // Imports bound to locals once a day: tsx compiles them to getters, too slow per customer.
    const [prospect, churned, trial, power, enterprise] = [
      STAGE.prospect,
      STAGE.churned,
      STAGE.trial,
      TRAIT.power,
      PLAN.enterprise,
    ];
    const opening: Array<{ customer: number; at: number; priority: string | undefined }> = [];
    for (let i = 0; i < people.size; i += 1) {
      const stage = people.stage[i]!;
      if (stage === prospect) continue;
      let p = stage === churned ? base * 0.1 : base;
      if (stage === trial) p *= 1.3;
      if (people.traits[i]! & power) p *= 2;
      if (people.plan[i] === enterprise) p *= 1.5;
      if (rnd() < p)
        opening.push({
          customer: i,
          at: calendar.dayStart(day) + localActivityTime(rnd, REGIONS[people.region[i]!]!.utcOffsetMin),
          priority: undefined,
        });
    }
    for (const i of this.storyTickets(day))
      opening.push({
        customer: i,
        at: calendar.dayStart(day) + localActivityTime(rnd, REGIONS[people.region[i]!]!.utcOffsetMin),
        priority: undefined,
      });
    for (const failure of paymentFailures) {
      if (rnd() < 0.3)
        opening.push({ customer: failure.customer, at: failure.at + between(rnd, 10, 240) * 60_000, priority: 'high' });
    }
    // Ticket numbers follow the order tickets were opened in.
    opening.sort((a, b) => a.at - b.at);
    for (const t of opening) this.ticket(t.customer, day, t.at, t.priority);
    for (const c of this.closings[day]!)
      this.rows.push({
        at: c.at,
        record: this.record(c.ticket, 'closed', c.customer, c.at, c.priority, c.satisfaction),
      });
    this.closings[day] = [];
  }

  /** A story: a few paying customers open a ticket 11, 8 and 5 days before the end (three in a month). */
  private storyTickets(day: number): number[] {
    const { people, calendar } = this;
    const before = calendar.days - day;
    if (this.stories === 0 || before > 11 || before < 5 || (11 - before) % 3 !== 0) return [];
    if (!this.struggling) {
      this.struggling = [];
      const from = Math.floor(this.rnd() * people.size);
      for (let k = 0; k < people.size && this.struggling.length < this.stories; k += 1) {
        const i = (from + k) % people.size;
        if (people.stage[i] === STAGE.paid) this.struggling.push(i);
      }
    }
    return this.struggling.filter((i) => people.stage[i] !== STAGE.churned);
  }

  clearDay(): void {
    this.rows.length = 0;
  }

  private ticket(i: number, day: number, at: number, priority: string | undefined): void {
    const { calendar, rnd } = this;
    if (at >= calendar.now) return;
    const enterprise = this.people.plan[i] === PLAN.enterprise;
    const chosen =
      priority ?? TICKET_PRIORITIES[pickFrom(rnd, enterprise ? ENTERPRISE_PRIORITY_TABLE : PRIORITY_TABLE)]!;
    this.ticketSeq += 1;
    const ticket = `T-${String(this.ticketSeq).padStart(7, '0')}`;
    this.rows.push({ at, record: this.record(ticket, 'opened', i, at, chosen, undefined) });
    // Log-uniform between 30 minutes and 10 days; urgent tickets go three times faster.
    const hours = Math.exp(Math.log(0.5) + rnd() * Math.log(480)) / (chosen === 'urgent' ? 3 : 1);
    const closedAt = at + Math.floor(hours * HOUR_MS);
    const closeDay = Math.floor((closedAt - calendar.start) / 86_400_000);
    if (closedAt >= calendar.now) return;
    const satisfaction = rnd() < 0.96 ? this.satisfaction(hours) : undefined;
    const closing = { at: closedAt, ticket, customer: i, priority: chosen, satisfaction };
    if (closeDay === day)
      this.rows.push({ at: closedAt, record: this.record(ticket, 'closed', i, closedAt, chosen, satisfaction) });
    else this.closings[closeDay]!.push(closing);
  }

  /** 1–5, mostly happy; slow answers score lower. */
  private satisfaction(hours: number): number {
    const r = this.rnd();
    const cumulative = hours > 72 ? [0.12, 0.27, 0.52, 0.8] : [0.04, 0.1, 0.24, 0.58];
    let score = 1;
    for (const c of cumulative) if (r >= c) score += 1;
    return score;
  }

  private record(
    ticket: string,
    event: 'opened' | 'closed',
    i: number,
    at: number,
    priority: string,
    satisfaction: number | undefined,
  ) {
    return {
      ticket_id: ticket,
      event,
      email: this.rnd() < 0.08 ? messyEmail(i, this.rnd) : email(i),
      timestamp: isoWithOffset(at, REGIONS[this.people.region[i]!]!.utcOffsetMin),
      priority,
      satisfaction,
    };
  }
}
