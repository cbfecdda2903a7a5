import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { writeAuditCheckpoint } from '../../schemas/governance';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(writeAuditCheckpoint, deps.tokens),
    handler: async (_request, reply) => {
      const store = deps.auditCheckpoints;
      if (!store) throw ERRORS.notConfigured('this API process signs no audit checkpoints (no signing key)');
      // On demand means now, even when this process signed the same head a moment ago.
      const checkpoint = await store.write(deps.db, { force: true });
      return checkpoint
        ? reply.code(201).send({ checkpoint, file: store.file })
        : reply.code(200).send({ checkpoint: null, file: store.file });
    },
  });
};
export default route;
