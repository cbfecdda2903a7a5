import { type Kpi } from './experiment';

// When a member's KPI is observed. Every window starts from the member's own assignment, so a
// member who entered last week is not compared with one who has had a month to convert; a
// member whose window has not closed by the report's asOf is left out of the KPI (counted in
// its arm's size, not as a non-converter), otherwise late entrants would drag every rate down.

const DAY_MS = 86_400_000;

export interface ObservationWindow {
  /** Inclusive. */
  from: Date;
  /** Exclusive: an event at exactly this instant is outside. */
  until: Date;
}

export function observationWindow(kpi: Kpi, assignedAt: Date): ObservationWindow {
  const at = assignedAt.getTime();
  if (kpi.kind === 'retention') {
    const from = at + kpi.afterDays * DAY_MS;
    return { from: new Date(from), until: new Date(from + kpi.windowDays * DAY_MS) };
  }
  return { from: new Date(at), until: new Date(at + kpi.withinDays * DAY_MS) };
}

/** Whether a member assigned at `assignedAt` has a final KPI value as of `asOf`. */
export const isMeasurable = (kpi: Kpi, assignedAt: Date, asOf: Date): boolean =>
  observationWindow(kpi, assignedAt).until.getTime() <= asOf.getTime();

/** The latest assignment time whose window has closed by `asOf`: SQL selects `assigned_at <= cutoff`. */
export function measurableCutoff(kpi: Kpi, asOf: Date): Date {
  const days = kpi.kind === 'retention' ? kpi.afterDays + kpi.windowDays : kpi.withinDays;
  return new Date(asOf.getTime() - days * DAY_MS);
}
