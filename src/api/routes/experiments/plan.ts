import { samplePlan } from '../../../experiments/sample-plan';
import { routeOptions, type RouteModule } from '../../route';
import { planExperiment } from '../../schemas/experiments';

const route: RouteModule = (app, deps) => {
  app.route({ ...routeOptions(planExperiment, deps.tokens), handler: async (request) => samplePlan(request.query) });
};
export default route;
