import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../log';

/** A child logger that carries the workflow id, Temporal run id and any extra ids (cohortId). */
export function activityLog(log: Logger, fields: Record<string, unknown> = {}): Logger {
  const info = Context.current().info;
  return log.child({
    workflowId: info.workflowExecution?.workflowId,
    temporalRunId: info.workflowExecution?.runId,
    activity: info.activityType,
    attempt: info.attempt,
    ...fields,
  });
}

/** Key of this activity execution, stable across its retries: dedupes side effects like audit rows. */
export function activityKey(): string {
  const info = Context.current().info;
  return `${info.workflowExecution?.runId}:${info.activityId}`;
}

/** An error no retry can fix: the workflow sees it at once, with this message. */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidInput');
}
