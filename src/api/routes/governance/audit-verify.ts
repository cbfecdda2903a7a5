import { verifyAuditChain } from '../../../governance/audit-chain';
import { routeOptions, type RouteModule } from '../../route';
import { verifyAudit } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  app.route({ ...routeOptions(verifyAudit, deps.tokens), handler: async () => verifyAuditChain(deps.db) });
};
export default route;
