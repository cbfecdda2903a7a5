import { checkHealth } from '../../../observability/health';
import { routeOptions, type RouteModule } from '../../route';
import { health } from '../../schemas/service';

// Cheap and open (load balancers and orchestrators call it): three bounded checks, no secrets.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(health, deps.tokens),
    handler: async (_request, reply) => {
      const { checks, ok } = await checkHealth({
        db: deps.db,
        client: deps.refreshes.client,
        taskQueue: deps.refreshes.taskQueue,
        log: deps.log,
      });
      return ok ? reply.code(200).send({ ok: true, checks }) : reply.code(503).send({ ok: false, checks });
    },
  });
};
export default route;
