import { runQuarantine } from '../../../ingest/quarantine-view';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { runQuarantine as contract } from '../../schemas/runs';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      const found = await runQuarantine(deps.db, request.params.id, request.query.limit);
      if (!found) throw ERRORS.notFound(`no run "${request.params.id}"`);
      return found;
    },
  });
};
export default route;
