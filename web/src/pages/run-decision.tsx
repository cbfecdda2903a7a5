import { useState } from 'preact/hooks';
import type { Answer } from '../../../src/api/schemas/contract';
import type { approveRefresh, refreshStatus } from '../../../src/api/schemas/refreshes';
import { ApiFailure, enc, send } from '../api';
import { countdown, dateTime } from '../format';
import { may, useSession } from '../session';
import { Badge, TableBox } from '../ui';

type Gate = NonNullable<Answer<typeof refreshStatus>['approval']>;
type Choice = 'approve' | 'hold' | 'leave';

/**
 * The gate as an approver sees it, and their decision. Holding cohorts back and approving the
 * rest are two calls to the same routes the CLI uses (reject with cohorts, then approve with
 * cohorts); the server applies the policy and four eyes, and its refusal is shown as it says it.
 */
export function DecisionPanel({
  runId,
  gate,
  now,
  decided,
  modelsNote,
}: {
  runId: string;
  gate: Gate;
  now: number;
  decided: () => void;
  /** What the decision does to the model versions the run carries, when it carries any. */
  modelsNote?: string | null;
}) {
  const session = useSession();
  const waiting = gate.cohorts.filter((c) => c.state === 'waiting');
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const choiceOf = (id: string): Choice => choices[id] ?? 'approve';
  const excludedMe = gate.excluded.includes(session.user);

  const decide = async (calls: Array<[string, { cohorts?: string[]; comment?: string }]>) => {
    setBusy(true);
    setOutcome(undefined);
    const done: string[] = [];
    try {
      for (const [decision, body] of calls) {
        const answer = await send<typeof approveRefresh>('POST', `/refreshes/${enc(runId)}/${decision}`, body);
        done.push(`${answer.kind} by ${answer.by}${answer.cohorts?.length ? `: ${answer.cohorts.join(', ')}` : ''}`);
      }
      setOutcome({ ok: true, text: `Decision recorded — ${done.join('; ')}.` });
      decided();
    } catch (err) {
      const reason = err instanceof ApiFailure ? err.message : String(err);
      setOutcome({ ok: false, text: `${done.length ? `${done.join('; ')}; then ` : ''}refused: ${reason}` });
      if (done.length) decided();
    } finally {
      setBusy(false);
    }
  };
  const text = comment.trim() || undefined;
  const submit = (e: Event) => {
    e.preventDefault();
    const held = waiting.filter((c) => choiceOf(c.cohortId) === 'hold').map((c) => c.cohortId);
    const approved = waiting.filter((c) => choiceOf(c.cohortId) === 'approve').map((c) => c.cohortId);
    const calls: Array<[string, { cohorts?: string[]; comment?: string }]> = [];
    if (held.length) calls.push(['reject', { cohorts: held, comment: text }]);
    if (approved.length) calls.push(['approve', { cohorts: approved, comment: text }]);
    if (calls.length) void decide(calls);
  };

  return (
    <section class="card gate" aria-labelledby="gate-heading">
      <h2 id="gate-heading">Approval gate</h2>
      <p>
        Deadline <time dateTime={gate.deadline}>{dateTime(gate.deadline)}</time> —{' '}
        <strong data-testid="deadline-countdown">{countdown(gate.deadline, now)}</strong>. May decide:{' '}
        {gate.approvers.join(', ') || 'nobody'}. May not decide (four eyes): {gate.excluded.join(', ') || 'nobody'}.
      </p>
      {modelsNote && (
        <p class="notice" data-testid="gate-models">
          {modelsNote}
        </p>
      )}
      {excludedMe && (
        <p class="notice">
          You requested this run or changed a definition in it, so under four eyes the server will refuse your decision.
        </p>
      )}
      {may(session, 'approver') ? (
        <form onSubmit={submit}>
          <TableBox label="Cohorts at the gate">
            <table class="gate-cohorts">
              <caption>Cohorts at the gate</caption>
              <thead>
                <tr>
                  <th scope="col">Cohort</th>
                  <th scope="col">State</th>
                  <th scope="col">Why it waits</th>
                  <th scope="col">Approvals</th>
                  <th scope="col">Your decision</th>
                </tr>
              </thead>
              <tbody>
                {gate.cohorts.map((c) => (
                  <tr data-gate-cohort={c.cohortId}>
                    <th scope="row">{c.cohortId}</th>
                    <td>
                      <Badge tone={c.state === 'waiting' ? 'attention' : 'neutral'}>{c.state}</Badge>
                      {c.failed && <Badge tone="fail">checks failed</Badge>}
                    </td>
                    <td>{c.reason}</td>
                    <td>
                      {c.approvals.length} of {c.approvalsRequired}
                      {c.approvals.length > 0 && ` (${c.approvals.map((a) => a.by).join(', ')})`}
                      {c.heldBy && ` held by ${c.heldBy.by}`}
                    </td>
                    <td>
                      {c.state === 'waiting' ? (
                        <select
                          aria-label={`Decision for ${c.cohortId}`}
                          value={choiceOf(c.cohortId)}
                          onChange={(e) =>
                            setChoices({ ...choices, [c.cohortId]: (e.target as HTMLSelectElement).value as Choice })
                          }
                        >
                          <option value="approve">approve</option>
                          <option value="hold">hold back</option>
                          <option value="leave">leave for now</option>
                        </select>
                      ) : (
                        '–'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
          <label for="decision-comment">
            Comment (required to approve a cohort whose checks failed, and to request changes)
          </label>
          <textarea
            id="decision-comment"
            rows={3}
            maxLength={2000}
            value={comment}
            onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
          />
          <div class="actions">
            <button type="submit" disabled={busy || waiting.length === 0}>
              Submit decisions
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => void decide([['reject', { comment: text }]])}
            >
              Reject the whole run
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => void decide([['request-changes', { comment: text }]])}
            >
              Request changes
            </button>
          </div>
        </form>
      ) : (
        <p class="hint">You have no approver role: you can read the gate, not decide it.</p>
      )}
      <div aria-live="assertive">
        {outcome && (
          <p
            role={outcome.ok ? 'status' : 'alert'}
            class={outcome.ok ? 'success' : 'error'}
            data-testid="decision-outcome"
          >
            {outcome.text}
          </p>
        )}
      </div>
    </section>
  );
}
