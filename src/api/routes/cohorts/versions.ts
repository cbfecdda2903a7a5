import { cohortVersions } from '../../../cohorts/catalog-reads';
import { routeOptions, type RouteModule } from '../../route';
import { cohortVersions as contract } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => ({
      cohortId: request.params.id,
      versions: await cohortVersions(deps.db, deps.catalogDir, request.params.id),
    }),
  });
};
export default route;
