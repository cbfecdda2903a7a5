import { createApiMetrics } from '../../../observability/api-metrics';
import { routeOptions, type RouteModule } from '../../route';
import { metrics } from '../../schemas/service';

const route: RouteModule = (app, deps) => {
  const registry = createApiMetrics({ db: deps.db, refreshes: deps.refreshes, log: deps.log });
  app.route({
    ...routeOptions(metrics, deps.tokens),
    // The exposition format is text, sent as it is; errors (a 401) stay JSON.
    serializerCompiler: () => (data) => (typeof data === 'string' ? data : JSON.stringify(data)),
    handler: async (_request, reply) => reply.type(registry.contentType).send(await registry.render()),
  });
};
export default route;
