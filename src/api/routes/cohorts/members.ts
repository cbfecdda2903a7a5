import { publishedMembers } from '../../../governance/cohort-sizes';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { cohortMembers } from '../../schemas/cohort-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(cohortMembers, deps.tokens),
    handler: async (request) => {
      const members = await publishedMembers(deps.db, request.params.id, request.query.sample);
      if (!members) throw ERRORS.notFound(`cohort ${request.params.id} has no published version`);
      return { cohortId: request.params.id, ...members };
    },
  });
};
export default route;
