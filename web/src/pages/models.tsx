import type { listModels, showModel } from '../../../src/api/schemas/models';
import { enc, get } from '../api';
import { dateTime, figure } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Loaded, PageTitle, TableBox } from '../ui';
import {
  DriftText,
  keyMetrics,
  MetricsLine,
  ModelStatus,
  Promotion,
  type ModelBrief,
  type ModelVersion,
} from './model-figures';

// The model versions behind the score measures: reading only. Fitting is the CLI's and the API's
// (`cohortflow models fit`), and a version becomes current only through a run's approval gate.

const KINDS = ['purchasing', 'churn', 'upgrade'] as const;

function KindTable({ kind, versions }: { kind: string; versions: ModelBrief[] }) {
  return (
    <section aria-labelledby={`models-${kind}`}>
      <h2 id={`models-${kind}`}>{kind}</h2>
      {versions.length === 0 ? (
        <p class="hint">No {kind} version yet: the next quarterly run fits one.</p>
      ) : (
        <TableBox label={`${kind} model versions`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Author</th>
                <th scope="col">Created</th>
                <th scope="col">Metrics</th>
                <th scope="col">Promotion rule</th>
                <th scope="col">Drift</th>
                <th scope="col">Run</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr data-model={v.modelId}>
                  <th scope="row">
                    <a href={href('models', v.modelId)}>{v.modelId}</a>
                  </th>
                  <td>
                    <ModelStatus status={v.status} />
                  </td>
                  <td>{v.author}</td>
                  <td>{dateTime(v.createdAt)}</td>
                  <td>
                    <MetricsLine kind={v.kind} metrics={v.metrics} />
                  </td>
                  <td>
                    <Promotion promotable={v.promotable} reason={v.promotionReason} />
                  </td>
                  <td>{v.drift ? `PSI ${figure(v.drift.psi)} vs ${v.drift.against}` : '–'}</td>
                  <td>{v.runId ? <a href={href('runs', v.runId)}>{v.runId}</a> : 'next quarterly run'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}

export function ModelsPage() {
  const list = useResource('models', () => get<typeof listModels>('/models'));
  return (
    <>
      <PageTitle title="Models">Models</PageTitle>
      <p class="hint">
        Every fitted version of the models behind the score measures, newest first. A version becomes current only
        through a run’s approval gate; fit one with <code>cohortflow models fit</code>.
      </p>
      <Loaded resource={list} what="the model versions">
        {({ models }) => (
          <>
            {KINDS.map((kind) => (
              <KindTable kind={kind} versions={models.filter((v) => v.kind === kind)} />
            ))}
          </>
        )}
      </Loaded>
    </>
  );
}

function Parameters({ v }: { v: ModelVersion }) {
  if (v.kind === 'purchasing') {
    const p = v.parameters as { bgNbd: Record<string, number>; gammaGamma: Record<string, number> };
    const rows = [
      ...Object.entries(p.bgNbd).map(([k, x]) => [`BG/NBD ${k}`, x] as const),
      ...Object.entries(p.gammaGamma).map(([k, x]) => [`Gamma-Gamma ${k}`, x] as const),
    ];
    return (
      <dl class="facts" data-testid="parameters">
        {rows.map(([name, x]) => (
          <>
            <dt>{name}</dt>
            <dd>{figure(x)}</dd>
          </>
        ))}
      </dl>
    );
  }
  const model = v.parameters as { intercept: number; l2: number };
  const weights = (v.metrics.featureWeights ?? []) as Array<{ column: string; weight: number; oddsRatioPerSd: number }>;
  return (
    <div data-testid="parameters">
      <p>
        Intercept {figure(model.intercept)}, L2 penalty {figure(model.l2)}. Weights per standard deviation of each
        feature, largest effect first:
      </p>
      <TableBox label="Feature weights">
        <table>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Weight (log-odds per SD)</th>
              <th scope="col">Odds ratio per SD</th>
            </tr>
          </thead>
          <tbody>
            {weights.map((w) => (
              <tr>
                <th scope="row">{w.column}</th>
                <td>{figure(w.weight)}</td>
                <td>{figure(w.oddsRatioPerSd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </div>
  );
}

export function ModelPage({ modelId }: { modelId: string }) {
  const version = useResource(`model:${modelId}`, () => get<typeof showModel>(`/models/${enc(modelId)}`));
  return (
    <>
      <PageTitle title={`Model ${modelId}`}>Model {modelId}</PageTitle>
      <p>
        <a href={href('models')}>All model versions</a>
      </p>
      <Loaded resource={version} what="the model version">
        {(v) => (
          <>
            <dl class="facts">
              <dt>Kind · version</dt>
              <dd>
                {v.kind} · v{v.version}
              </dd>
              <dt>Status</dt>
              <dd>
                <ModelStatus status={v.status} />
              </dd>
              <dt>Promotion rule</dt>
              <dd>
                <Promotion promotable={v.promotable} reason={v.promotionReason} />
              </dd>
              <dt>Drift</dt>
              <dd>
                <DriftText drift={v.drift} />
              </dd>
              <dt>Fitted as of</dt>
              <dd>{dateTime(v.asOf)}</dd>
              <dt>Training window</dt>
              <dd data-testid="training-window">
                {dateTime(v.trainingFrom)} – {dateTime(v.trainingUntil)}
              </dd>
              <dt>Author</dt>
              <dd>
                {v.author}, {dateTime(v.createdAt)}: “{v.rationale}”
              </dd>
              <dt>Gate</dt>
              <dd>
                {v.runId ? (
                  <>
                    run <a href={href('runs', v.runId)}>{v.runId}</a>
                  </>
                ) : (
                  'waits for the next quarterly run'
                )}
                {v.decidedBy && `; decided by ${v.decidedBy}, ${dateTime(v.decidedAt)}`}
              </dd>
            </dl>
            <h2>Metrics</h2>
            <dl class="facts" data-testid="metrics">
              {keyMetrics(v.kind, v.metrics).map(([name, value]) => (
                <>
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </>
              ))}
            </dl>
            <h2>Parameters</h2>
            <Parameters v={v} />
            <h2>Source watermarks</h2>
            <dl class="facts" data-testid="watermarks">
              {Object.entries(v.watermarks).map(([source, at]) => (
                <>
                  <dt>{source}</dt>
                  <dd>{dateTime(at)}</dd>
                </>
              ))}
            </dl>
            {Object.keys(v.watermarks).length === 0 && <p class="hint">No source watermark recorded.</p>}
          </>
        )}
      </Loaded>
    </>
  );
}
