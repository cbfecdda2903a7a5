import { callerOf, hasRole } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { refreshProof, rollbackProof } from '../../schemas/proofs';

/** A POSIX shell word: single quotes, each inner one closed, escaped and reopened. */
const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function answer(workflowId: string, update: string, signal: string | undefined, input: object, expiresAt?: string) {
  const json = quoted(JSON.stringify(input));
  const command = (kind: 'update execute' | 'signal', name: string) =>
    `temporal workflow ${kind} --workflow-id ${quoted(workflowId)} --name ${name} --input ${json}`;
  return {
    workflowId,
    update,
    ...(signal ? { signal } : {}),
    input: input as Record<string, unknown>,
    ...(expiresAt ? { expiresAt } : {}),
    commands: { update: command('update execute', update), ...(signal ? { signal: command('signal', signal) } : {}) },
  };
}

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(refreshProof, deps.tokens),
    handler: async (request) => {
      const caller = callerOf(request);
      const id = request.params.id;
      const body = request.body;
      if (body.action === 'rollback') {
        const signed = await deps.refreshes.signedRollback(id, {
          requestedBy: caller.user,
          reason: body.reason,
          ...(body.cohorts ? { cohorts: body.cohorts } : {}),
        });
        return answer(id, 'rollback', 'rollback', signed.message, signed.expiresAt);
      }
      if (!hasRole(caller, 'approver')) throw ERRORS.forbidden(caller.user, ['approver']);
      const signed = await deps.refreshes.signedDecision(id, {
        approver: caller.user,
        decision: body.action,
        comment: body.comment,
        cohorts: body.cohorts,
        runId: id,
      });
      return answer(id, 'decide', body.action, signed.message, signed.expiresAt);
    },
  });
  app.route({
    ...routeOptions(rollbackProof, deps.tokens),
    handler: async (request) => {
      const signed = await deps.refreshes.signedRollbackDecision(request.params.id, {
        approver: callerOf(request).user,
        decision: request.body.decision,
        comment: request.body.comment,
      });
      return answer(request.params.id, 'decide', undefined, signed.message, signed.expiresAt);
    },
  });
};
export default route;
