import { cohortSizes } from '../../../governance/cohort-sizes';
import { routeOptions, type RouteModule } from '../../route';
import { cohortSizes as contract } from '../../schemas/cohort-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => ({
      cohortId: request.params.id,
      versions: await cohortSizes(deps.db, request.params.id),
    }),
  });
};
export default route;
