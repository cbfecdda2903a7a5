import { verifyAuditChain } from '../../../governance/audit-chain';
import { routeOptions, type RouteModule } from '../../route';
import { verifyAudit } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  const store = deps.auditCheckpoints;
  app.route({
    ...routeOptions(verifyAudit, deps.tokens),
    // The checkpoints are read anew each time: other processes append to the same file.
    handler: async () => verifyAuditChain(deps.db, store ? { checkpoints: { file: store.file, ...store.read() } } : {}),
  });
};
export default route;
