import { previewCohort } from '../../../cohorts/inspect';
import { routeOptions, type RouteModule } from '../../route';
import { previewCohort as contract } from '../../schemas/inspect';
import { asOfOf } from './as-of';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) =>
      previewCohort(deps.db, deps.catalogDir, request.params.id, asOfOf(request.query.asOf), request.query.sample),
  });
};
export default route;
