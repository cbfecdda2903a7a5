import { cohortTrends } from '../../../governance/cohort-trends';
import { routeOptions, type RouteModule } from '../../route';
import { cohortTrends as contract } from '../../schemas/cohort-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => cohortTrends(deps.db, request.params.id, request.query.limit),
  });
};
export default route;
