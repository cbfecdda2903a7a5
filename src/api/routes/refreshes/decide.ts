import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { approveRefresh, rejectRefresh, requestChanges } from '../../schemas/refreshes';

// The three decisions share one body and one handler: the decide Update, carrying who decided.
const route: RouteModule = (app, deps) => {
  for (const [decision, contract] of [
    ['approve', approveRefresh],
    ['reject', rejectRefresh],
    ['request-changes', requestChanges],
  ] as const) {
    app.route({
      ...routeOptions(contract, deps.tokens),
      handler: async (request) =>
        deps.refreshes.decide(request.params.id, {
          approver: callerOf(request).user,
          decision,
          comment: request.body.comment,
          cohorts: request.body.cohorts,
          runId: request.params.id,
        }),
    });
  }
};
export default route;
