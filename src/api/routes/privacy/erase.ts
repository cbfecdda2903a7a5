import { eraseCustomer } from '../../../privacy/erasure-removes';
import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { eraseCustomer as contract } from '../../schemas/runs';

// Admin only: erasing is irreversible, and its report names the customer.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) =>
      eraseCustomer(
        { db: deps.db, log: deps.log, destinations: deps.destinations() },
        { ...request.body, requestedBy: callerOf(request).user },
      ),
  });
};
export default route;
