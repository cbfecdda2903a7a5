import { listExperiments as list } from '../../../experiments/experiment-store';
import { routeOptions, type RouteModule } from '../../route';
import { listExperiments } from '../../schemas/experiments';
import { summaryOf } from './summary';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listExperiments, deps.tokens),
    handler: async () => ({ experiments: (await list(deps.db)).map(summaryOf) }),
  });
};
export default route;
