import { routeOptions, type RouteModule } from '../../route';
import { serviceIndex } from '../../schemas/service';

// Until the dashboard lives here, the root says what this is and where to read on.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(serviceIndex, deps.tokens),
    handler: async () => ({
      service: 'cohortflow' as const,
      description: 'Keeps customer cohorts fresh: scheduled, tested, human-approved refresh cycles.',
      links: { docs: '/docs', openapi: '/openapi.json', health: '/health' },
    }),
  });
};
export default route;
