import { runReport } from '../../../baseline/report-store';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { runReport as contract } from '../../schemas/runs';

// Read from Postgres, so a report stays readable after its workflow is gone.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(contract, deps.tokens),
    handler: async (request) => {
      const report = await runReport(deps.db, request.params.id);
      if (!report) throw ERRORS.notFound(`no run "${request.params.id}"`);
      return report;
    },
  });
};
export default route;
