import { ModelFitRefused, fitModelVersion } from '../../../scores/governance/fit-model';
import { callerOf } from '../../auth';
import { ApiError } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { fitModel } from '../../schemas/models';

// An operator's fit on demand: it is only ever proposed; the next quarterly run's gate decides it.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(fitModel, deps.tokens),
    handler: async (request, reply) => {
      const { kind, rationale, asOf } = request.body;
      try {
        const version = await fitModelVersion(deps.db, {
          kind,
          rationale,
          author: callerOf(request).user,
          asOf: asOf ? new Date(asOf) : new Date(),
        });
        request.log.info({ modelId: version.modelId, promotable: version.promotable }, 'model version proposed');
        return reply.code(201).send(version);
      } catch (err) {
        if (err instanceof ModelFitRefused || err instanceof RangeError)
          throw new ApiError(409, 'model_fit_refused', `model not fitted: ${err.message}`);
        throw err;
      }
    },
  });
};
export default route;
