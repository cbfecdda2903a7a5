import { currentVersions } from '../../../governance/cohort-sizes';
import { routeOptions, type RouteModule } from '../../route';
import { publishedCohorts } from '../../schemas/cohort-views';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(publishedCohorts, deps.tokens),
    handler: async () => ({ cohorts: await currentVersions(deps.db) }),
  });
};
export default route;
