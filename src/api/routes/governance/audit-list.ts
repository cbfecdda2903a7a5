import { auditEntries } from '../../../governance/audit-log';
import { routeOptions, type RouteModule } from '../../route';
import { listAudit } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listAudit, deps.tokens),
    handler: async (request) => {
      const { run, cohort, actor, action, limit } = request.query;
      return { entries: await auditEntries(deps.db, { runId: run, cohortId: cohort, actor, action, limit }) };
    },
  });
};
export default route;
