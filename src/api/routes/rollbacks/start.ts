import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { startCohortRollback } from '../../schemas/rollbacks';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(startCohortRollback, deps.tokens),
    handler: async (request, reply) => {
      const cohortId = request.params.id;
      const { toVersion, reason } = request.body;
      // Said at once here; the rollback run checks it again before it asks anyone.
      const known = await deps.db.query('SELECT 1 FROM published_versions WHERE cohort_id = $1 AND version = $2', [
        cohortId,
        toVersion,
      ]);
      if (!known.rowCount) throw ERRORS.notFound(`${cohortId} has no published version ${toVersion}`);
      const started = await deps.refreshes.startCohortRollback({
        cohortId,
        toVersion,
        requestedBy: callerOf(request).user,
        reason,
      });
      return reply.code(started.alreadyRunning ? 200 : 202).send(started);
    },
  });
};
export default route;
