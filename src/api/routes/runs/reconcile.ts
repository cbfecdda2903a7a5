import { NothingToReconcile, reconcileCohort } from '../../../delivery/reconcile';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { reconcileCohort as contract } from '../../schemas/runs';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      const cohortId = request.params.id;
      try {
        const deliveries = await reconcileCohort({ db: deps.db, log: deps.log }, deps.destinations(), {
          cohortId,
          destination: request.body.destination,
        });
        return { cohortId, deliveries };
      } catch (err) {
        if (err instanceof NothingToReconcile) throw err;
        // A destination still failing: the delivery stays pending and the next reconcile resumes it.
        throw ERRORS.destinationFailed((err as Error).message);
      }
    },
  });
};
export default route;
