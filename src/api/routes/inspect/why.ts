import { whyMember } from '../../../cohorts/inspect';
import { routeOptions, type RouteModule } from '../../route';
import { whyMember as contract } from '../../schemas/inspect';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) =>
      whyMember(
        deps.db,
        deps.catalogDir,
        request.params.id,
        request.params.customerId,
        request.query.asOf ? new Date(request.query.asOf) : undefined,
      ),
  });
};
export default route;
