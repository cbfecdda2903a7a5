import { auditEntries } from '../../../governance/audit-log';
import { routeOptions, type RouteModule } from '../../route';
import { listAudit } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listAudit, deps.tokens),
    handler: async (request) => ({
      entries: await auditEntries(deps.db, { runId: request.query.run, limit: request.query.limit }),
    }),
  });
};
export default route;
