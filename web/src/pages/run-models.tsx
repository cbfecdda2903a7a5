import type { Answer } from '../../../src/api/schemas/contract';
import type { refreshStatus } from '../../../src/api/schemas/refreshes';
import type { showModel } from '../../../src/api/schemas/models';
import { ApiFailure, enc, get } from '../api';
import { dateTime, figure } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Badge, TableBox } from '../ui';
import { MetricsLine, ModelStatus, Promotion } from './model-figures';

type RunModelsStatus = NonNullable<Answer<typeof refreshStatus>['models']>;
type Proposal = RunModelsStatus['proposals'][number];

/** What approving does to the run's model versions, in one sentence for the decision panel. */
export function approvalEffect(models: RunModelsStatus | undefined): string | null {
  if (!models || models.proposals.length === 0) return null;
  const promotable = models.proposals.filter((p) => p.promotable).map((p) => p.modelId);
  const failing = models.proposals.filter((p) => !p.promotable).map((p) => p.modelId);
  return [
    promotable.length
      ? `Approving this run makes its promotable model versions current (${promotable.join(', ')}; the newest per kind, except one fitted by a person who approves, which waits for another gate).`
      : 'No model version in this run passes its promotion rule: approving it makes none current.',
    failing.length ? `${failing.join(', ')} failed the promotion rule and will be rejected.` : '',
    'Rejecting the run, or letting it expire, rejects them all.',
  ]
    .filter(Boolean)
    .join(' ');
}

const outcomeText = (p: Proposal) =>
  p.outcome === 'current'
    ? 'made current'
    : p.outcome === 'rejected'
      ? 'rejected'
      : p.outcome === 'proposed'
        ? 'stays proposed (for another gate)'
        : 'waits for the decision';

/** The versions' detail (window, metrics, drift); a version the API cannot show keeps its brief. */
const detailsOf = (ids: string[]) =>
  Promise.all(
    ids.map((id) =>
      get<typeof showModel>(`/models/${enc(id)}`).catch((err) => {
        if (err instanceof ApiFailure && err.status === 404) return null;
        throw err;
      }),
    ),
  );

/**
 * The model versions this run's gate decides, beside the gate: an approver reads each one's
 * promotion verdict, metrics and drift against the current version before deciding the run.
 */
export function RunModels({ models }: { models: RunModelsStatus }) {
  const ids = models.proposals.map((p) => p.modelId);
  const details = useResource(`run-models:${ids.join(',')}:${models.proposals.map((p) => p.outcome).join(',')}`, () =>
    detailsOf(ids),
  );
  const detail = (id: string) => details.data?.[ids.indexOf(id)] ?? undefined;
  return (
    <section class="card" aria-labelledby="models-heading" data-testid="run-models">
      <h2 id="models-heading">Model versions ({models.proposals.length})</h2>
      <p class="hint">
        Fitted for this run and decided with it. Drift is the PSI of a version’s scores against the version current when
        it was fitted: what approving it would do to the score-based cohorts.
      </p>
      {details.error && (
        <p role="alert" class="error">
          Could not load the versions’ detail: {details.error.message}
        </p>
      )}
      {models.proposals.length > 0 && (
        <TableBox label="Model versions at the gate">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Kind</th>
                <th scope="col">Training window</th>
                <th scope="col">Metrics</th>
                <th scope="col">Promotion rule</th>
                <th scope="col">Drift against current</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {models.proposals.map((p) => {
                const v = detail(p.modelId);
                return (
                  <tr data-run-model={p.modelId}>
                    <th scope="row">
                      <a href={href('models', p.modelId)}>{p.modelId}</a>
                    </th>
                    <td>{p.kind}</td>
                    <td>{v ? `${dateTime(v.trainingFrom)} – ${dateTime(v.trainingUntil)}` : '…'}</td>
                    <td>
                      {v ? (
                        <MetricsLine kind={v.kind} metrics={v.metrics} />
                      ) : p.auc !== undefined ? (
                        `validation AUC ${figure(p.auc)}`
                      ) : (
                        '…'
                      )}
                    </td>
                    <td>
                      <Promotion promotable={p.promotable} reason={p.reason} />
                    </td>
                    <td data-testid="run-model-drift">
                      {p.psi !== undefined
                        ? `PSI ${figure(p.psi)}${v?.drift ? ` of ${v.drift.score} against ${v.drift.against}` : ''}`
                        : 'none: no version was current'}
                    </td>
                    <td data-testid="run-model-outcome">
                      {p.outcome ? <ModelStatus status={p.outcome} /> : <Badge tone="attention">at the gate</Badge>}{' '}
                      {outcomeText(p)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableBox>
      )}
      {models.refused.length > 0 && (
        <ul>
          {models.refused.map((r) => (
            <li>
              {r.kind}: not fitted — {r.reason}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
