import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { approveRollback, rejectRollback } from '../../schemas/rollbacks';

const route: RouteModule = (app, deps) => {
  for (const [decision, contract] of [
    ['approve', approveRollback],
    ['reject', rejectRollback],
  ] as const) {
    app.route({
      ...routeOptions(contract, deps.tokens),
      handler: async (request) =>
        deps.refreshes.decideCohortRollback(request.params.id, {
          approver: callerOf(request).user,
          decision,
          comment: request.body.comment,
        }),
    });
  }
};
export default route;
