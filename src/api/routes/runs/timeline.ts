import { runTimeline } from '../../../governance/run-timeline';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { runTimeline as contract } from '../../schemas/run-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      const timeline = await runTimeline(deps.db, request.params.id);
      if (!timeline) throw ERRORS.notFound(`no run ${request.params.id} has been recorded`);
      return timeline;
    },
  });
};
export default route;
