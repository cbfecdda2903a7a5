import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { pauseSchedule, resumeSchedule } from '../../schemas/schedules';
import { scheduleErrors, scheduling } from './control';

// Pause and resume: the same route for either, each with its reason in the schedule's note and the audit log.
const route: RouteModule = (app, deps) => {
  for (const [contract, action] of [
    [pauseSchedule, 'pause'],
    [resumeSchedule, 'resume'],
  ] as const)
    app.route({
      ...routeOptions(contract, deps.tokens),
      handler: async (request) => {
        const by = callerOf(request).user;
        const view = await scheduling(deps)[action](request.params.id, request.body.reason, by).catch(scheduleErrors);
        request.log.info({ scheduleId: view.id, action, by }, 'schedule changed');
        return view;
      },
    });
};
export default route;
