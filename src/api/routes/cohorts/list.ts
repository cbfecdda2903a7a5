import { listCohorts } from '../../../cohorts/catalog-reads';
import { routeOptions, type RouteModule } from '../../route';
import { listCohorts as contract } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({ ...routeOptions(contract, deps.tokens), handler: async () => listCohorts(deps.db, deps.catalogDir) });
};
export default route;
