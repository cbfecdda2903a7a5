import { FreezeExists, type ScheduleControl, UnknownSchedule } from '../../../temporal/schedule-control';
import { InvalidInputError } from '../../../yaml-input';
import { ERRORS } from '../../errors';
import type { ApiDeps } from '../../route';

/** The schedules of this API process, or 409 not_configured where it has none (a test API). */
export function scheduling(deps: ApiDeps): ScheduleControl {
  if (!deps.schedules) throw ERRORS.notConfigured('this API process does not manage the refresh schedules');
  return deps.schedules;
}

/** The schedule control's refusals as the API's errors; anything else stays a 500. */
export function scheduleErrors(err: unknown): never {
  if (err instanceof UnknownSchedule) throw ERRORS.notFound(err.message);
  if (err instanceof FreezeExists) throw ERRORS.badRequest(409, err.message);
  if (err instanceof InvalidInputError)
    throw ERRORS.notConfigured(`the schedules file or a calendar is invalid: ${err.problems.join('; ')}`);
  throw err;
}
