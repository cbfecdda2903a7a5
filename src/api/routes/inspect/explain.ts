import { explainCohort } from '../../../cohorts/inspect';
import { routeOptions, type RouteModule } from '../../route';
import { explainCohort as contract } from '../../schemas/inspect';
import { asOfOf } from './as-of';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => explainCohort(deps.db, deps.catalogDir, request.params.id, asOfOf(request.query.asOf)),
  });
};
export default route;
