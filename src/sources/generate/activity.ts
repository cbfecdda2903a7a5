import type { Calendar } from './calendar';
import { localActivityTime, NEVER, STAGE, type Population } from './population';
import { WHO, type ProductDay } from './product-day';
import { between, pickFrom, poisson, type Random } from './random';
import {
  ANONYMOUS_EVENT_TABLE,
  DASHBOARDS_VARIANT,
  DAY_MS,
  DEVELOPER_VARIANTS,
  MONTH_END_EVENT_TABLE,
  PLAN,
  REGIONS,
  USER_EVENT_TABLE,
} from './world';

/**
 * Mean product events of an average customer on an average day while trialling or paying.
 * With signups, drop-outs and churn this comes to ~0.55 events per customer and day:
 * 1M customers × 90 days ≈ 50M events.
 */
const BASE_EVENTS_PER_DAY = 0.87;
/** Trials explore, reactivated customers are cautious, churned ones fall (almost) silent. */
const STAGE_FACTOR = [0, 1.25, 1, 0.004, 0.85];
/** Activity fades over the three weeks before a planned cancellation. */
const FADE_DAYS = 21;
/**
 * Customers take up the developer features (API, SQL editor) some time after signing up, spread
 * over this many days: adoption keeps happening through the window, so "new adopters" exist in
 * any month of it, not only in the first weeks after the first ingest.
 */
const ADOPTION_SPREAD_DAYS = 240;

/**
 * Product usage: Poisson counts per customer and day from engagement × stage × plan × weekday
 * and trend; browsing before signup under an anonymous id only.
 */
export class ProductActivity {
  /** The day each customer takes up the developer features: dashboards stand in for them before it. */
  private readonly adoptionDay: Int32Array;

  constructor(
    private readonly people: Population,
    private readonly calendar: Calendar,
    private readonly rnd: Random,
    adoption: Random,
  ) {
    this.adoptionDay = new Int32Array(people.size);
    for (let i = 0; i < people.size; i += 1)
      this.adoptionDay[i] = people.signupDay[i]! + Math.floor(adoption() * ADOPTION_SPREAD_DAYS);
  }

  generate(day: number, out: ProductDay): void {
    const { people, calendar, rnd } = this;
    // Imports bound to locals once a day: tsx compiles them to getters, too slow per customer.
    const [prospect, never, enterprise, regions, fullDay, whoUser, draw, pick, when] = [
      STAGE.prospect,
      NEVER,
      PLAN.enterprise,
      REGIONS,
      DAY_MS,
      WHO.user,
      poisson,
      pickFrom,
      localActivityTime,
    ];
    const dayLength = calendar.dayLength(day);
    const dayFactor = BASE_EVENTS_PER_DAY * calendar.activityFactor(day);
    const table = calendar.isMonthEnd(day) ? MONTH_END_EVENT_TABLE : USER_EVENT_TABLE;
    const { stage, signupDay, intensity, churnDay, plan, region, habit } = people;
    const [developer, dashboards, adoptionDay] = [DEVELOPER_VARIANTS, DASHBOARDS_VARIANT, this.adoptionDay];
    for (let i = 0; i < people.size; i += 1) {
      const s = stage[i]!;
      if (s === prospect) {
        const ahead = signupDay[i]! - day;
        if (ahead > 0 && ahead <= people.anonymousDays[i]!) this.browse(i, between(rnd, 1, 3), dayLength, out);
        continue;
      }
      let lambda = dayFactor * intensity[i]! * STAGE_FACTOR[s]!;
      if (plan[i] === enterprise) lambda *= 1.4;
      const toChurn = churnDay[i]! - day;
      if (churnDay[i] !== never && toChurn <= FADE_DAYS) lambda *= 0.2 + (0.8 * toChurn) / FADE_DAYS;
      const n = draw(rnd, lambda);
      if (n === 0) continue;
      const offset = regions[region[i]!]!.utcOffsetMin;
      const signedUpToday = signupDay[i] === day;
      const adopted = day >= adoptionDay[i]!;
      for (let e = 0; e < n; e += 1) {
        // On the signup day, usage starts after signing up.
        const at = signedUpToday ? habit[i]! + Math.floor(rnd() * (fullDay - habit[i]!)) : when(rnd, offset);
        let variant = pick(rnd, table);
        // Before adoption the developer features are not used; after it, a fresh adopter works in
        // them where they used to build dashboards (one of the two, by customer).
        if (!adopted && developer.includes(variant)) variant = dashboards;
        else if (adopted && variant === dashboards) variant = developer[i % 2]!;
        if (at < dayLength) out.push(at, i, variant, whoUser);
      }
    }
  }

  private browse(i: number, n: number, dayLength: number, out: ProductDay): void {
    const offset = REGIONS[this.people.region[i]!]!.utcOffsetMin;
    for (let e = 0; e < n; e += 1) {
      const at = localActivityTime(this.rnd, offset);
      const variant = pickFrom(this.rnd, ANONYMOUS_EVENT_TABLE);
      if (at < dayLength) out.push(at, i, variant, WHO.anonymous);
    }
  }
}
