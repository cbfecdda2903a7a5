import { stopExperiment as stop } from '../../../experiments/experiment-store';
import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { stopExperiment } from '../../schemas/experiments';
import { summaryOf } from './summary';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(stopExperiment, deps.tokens),
    handler: async (request) => {
      const stopped = await stop(deps.db, {
        experimentId: request.params.id,
        stoppedBy: callerOf(request).user,
        reason: request.body.reason,
      });
      request.log.info({ experimentId: request.params.id }, 'experiment stopped');
      return summaryOf(stopped);
    },
  });
};
export default route;
