import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { declareFreeze } from '../../schemas/schedules';
import { scheduleErrors, scheduling } from './control';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(declareFreeze, deps.tokens),
    handler: async (request, reply) => {
      const { name, reason, onPublish, from, until } = request.body;
      const by = callerOf(request).user;
      const freeze = await scheduling(deps)
        .freeze({ name, reason, onPublish, from: new Date(from), until: new Date(until), by })
        .catch(scheduleErrors);
      request.log.info({ freeze: name, by }, 'freeze declared');
      return reply.code(201).send(freeze);
    },
  });
};
export default route;
