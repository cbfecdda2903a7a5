import { claimSlots, releaseSlots } from '../../../governance/refresh-slots';
import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { rerunRefresh } from '../../schemas/rerun';

// A re-run is a start like any other: signed for the caller, its tier claimed first (409 while
// another refresh holds it, unless queue), proven again by the workflow before it does anything.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(rerunRefresh, deps.tokens),
    handler: async (request, reply) => {
      const original = request.params.id;
      const { queue, from, rationale } = request.body;
      const rerun = await deps.refreshes.rerunRequest(original, {
        requestedBy: callerOf(request).user,
        from,
        rationale,
      });
      const workflowId = deps.refreshes.newRunId(rerun.cadence);
      const claim = await claimSlots(deps.db, {
        runId: workflowId,
        scope: rerun.tier,
        isRunOpen: (id) => deps.refreshes.isRunOpen(id),
      });
      if (!claim.claimed && !queue)
        throw ERRORS.refreshRunning(
          `a ${claim.tier} refresh is active: ${claim.heldBy}; re-run after it, or with queue: true to wait for it`,
          claim.heldBy,
        );
      const started = await deps.refreshes
        .start({ ...rerun, ...(claim.claimed ? {} : { queue: true }) }, workflowId)
        .catch(async (err: unknown) => {
          await releaseSlots(deps.db, workflowId);
          throw err;
        });
      return reply.code(202).send({
        ...started,
        rerunOf: original,
        from: rerun.rerun.from,
        ...(claim.claimed ? {} : { queuedBehind: claim.heldBy }),
      });
    },
  });
};
export default route;
