import { routeOptions, type RouteModule } from '../../route';
import { listSchedules } from '../../schemas/schedules';
import { scheduleErrors, scheduling } from './control';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listSchedules, deps.tokens),
    handler: async () => scheduling(deps).list().catch(scheduleErrors),
  });
};
export default route;
