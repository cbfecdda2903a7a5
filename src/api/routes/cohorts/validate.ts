import { validateCatalog } from '../../../cohorts/catalog-reads';
import { routeOptions, type RouteModule } from '../../route';
import { validateCohorts } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(validateCohorts, deps.tokens),
    handler: async (request) =>
      validateCatalog(
        deps.db,
        deps.catalogDir,
        request.body.yaml,
        (request.body.files ?? []).map((f) => ({ name: f.name, text: f.yaml })),
      ),
  });
};
export default route;
