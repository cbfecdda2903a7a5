import { listRefreshRuns } from '../../../temporal/run-list';
import { routeOptions, type RouteModule } from '../../route';
import { listRefreshes } from '../../schemas/run-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listRefreshes, deps.tokens),
    handler: async (request) => ({
      runs: await listRefreshRuns(deps.refreshes.client, request.query, deps.temporalUiUrl),
    }),
  });
};
export default route;
