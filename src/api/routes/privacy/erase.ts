import { eraseCustomer } from '../../../privacy/erasure-removes';
import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { eraseCustomer as contract } from '../../schemas/runs';

// Admin only: erasing is irreversible, and its report names the customer.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      // Without the key nothing could stop the customer coming back with the next ingest.
      if (!deps.erasureKey)
        throw ERRORS.notConfigured('this API process has no erasure key (ERASURE_KEY_FILE); nothing was erased');
      return eraseCustomer(
        { db: deps.db, log: deps.log, destinations: deps.destinations(), erasureKey: deps.erasureKey },
        { ...request.body, requestedBy: callerOf(request).user },
      );
    },
  });
};
export default route;
