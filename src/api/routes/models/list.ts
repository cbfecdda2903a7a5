import { listModelVersions, modelVersion } from '../../../scores/governance/model-versions';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { listModels, showModel } from '../../schemas/models';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listModels, deps.tokens),
    handler: async (request) => ({
      models: (await listModelVersions(deps.db, request.query.kind)).map(
        ({ parameters: _p, watermarks: _w, ...brief }) => brief,
      ),
    }),
  });
  app.route({
    ...routeOptions(showModel, deps.tokens),
    handler: async (request) => {
      const found = await modelVersion(deps.db, request.params.id);
      if (!found) throw ERRORS.notFound(`no model version "${request.params.id}"; cohortflow models list shows them`);
      return found;
    },
  });
};
export default route;
