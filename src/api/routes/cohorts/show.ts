import { showCohort } from '../../../cohorts/catalog-reads';
import { routeOptions, type RouteModule } from '../../route';
import { showCohort as contract } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => showCohort(deps.db, deps.catalogDir, request.params.id),
  });
};
export default route;
