import { claimSlots, releaseSlots } from '../../../governance/refresh-slots';
import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { startRefresh } from '../../schemas/refreshes';

// One active refresh per tier: the tier is claimed before the run starts, so of many concurrent
// starts one runs and the others are told which run is active (409), or wait for it (queue).
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(startRefresh, deps.tokens),
    handler: async (request, reply) => {
      const { queue, ...body } = request.body;
      const workflowId = deps.refreshes.newRunId(body.cadence);
      const claim = await claimSlots(deps.db, {
        runId: workflowId,
        scope: body.tier,
        isRunOpen: (id) => deps.refreshes.isRunOpen(id),
      });
      if (!claim.claimed && !queue)
        throw ERRORS.refreshRunning(
          `a ${claim.tier} refresh is active: ${claim.heldBy}; follow it, or start with queue: true to run after it`,
          claim.heldBy,
        );
      const request_ = { ...body, requestedBy: callerOf(request).user, ...(claim.claimed ? {} : { queue: true }) };
      const started = await deps.refreshes.start(request_, workflowId).catch(async (err: unknown) => {
        await releaseSlots(deps.db, workflowId);
        throw err;
      });
      return reply.code(202).send({ ...started, ...(claim.claimed ? {} : { queuedBehind: claim.heldBy }) });
    },
  });
};
export default route;
