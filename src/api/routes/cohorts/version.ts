import { cohortVersion } from '../../../cohorts/catalog-reads';
import { routeOptions, type RouteModule } from '../../route';
import { cohortVersion as contract } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => cohortVersion(deps.db, request.params.id, request.params.n),
  });
};
export default route;
