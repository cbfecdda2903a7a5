import { sendDashboard, wantsHtml } from '../../dashboard/assets';
import { routeOptions, type RouteModule } from '../../route';
import { serviceIndex } from '../../schemas/service';

// The root is the dashboard for a browser (it asks for text/html) and a small JSON index for
// everyone else, so `curl /` and API clients keep their answer.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(serviceIndex, deps.tokens),
    handler: async (request, reply) => {
      if (wantsHtml(request)) return sendDashboard(reply);
      return {
        service: 'cohortflow' as const,
        description: 'Keeps customer cohorts fresh: scheduled, tested, human-approved refresh cycles.',
        links: { docs: '/docs', openapi: '/openapi.json', health: '/health', dashboard: '/' },
      };
    },
  });
};
export default route;
