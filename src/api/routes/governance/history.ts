import { cohortHistory, cohortKnown } from '../../../governance/cohort-history';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { cohortHistory as contract } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      const { id } = request.params;
      if (!(await cohortKnown(deps.db, id))) throw ERRORS.notFound(`no cohort "${id}" was ever recorded or published`);
      return cohortHistory(deps.db, id, { limit: request.query.limit });
    },
  });
};
export default route;
