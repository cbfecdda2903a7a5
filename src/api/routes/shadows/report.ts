import { routeOptions, type RouteModule } from '../../route';
import { shadowReport } from '../../schemas/shadows';
import { shadowReport as report } from '../../../shadows/shadow-report';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(shadowReport, deps.tokens),
    handler: async (request) => report(deps.db, request.params.id, request.query.shadow),
  });
};
export default route;
