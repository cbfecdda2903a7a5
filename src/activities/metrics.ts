import { Context } from '@temporalio/activity';
import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import type { IngestSummary, RefreshOutcomeKind } from '../shared';

// What activities count as they go, through the Temporal runtime's meter: the worker's metrics
// endpoint (WORKER_METRICS_ADDRESS) serves them beside the SDK's own. Outside a worker (a test
// calling an activity directly) they go nowhere.

const meter = (): MetricMeter => {
  try {
    return Context.current().metricMeter ?? noopMetricMeter;
  } catch {
    return noopMetricMeter;
  }
};

export function countIngested(summary: IngestSummary): void {
  const rows = meter().createCounter('cohortflow_rows_ingested', 'rows', 'Rows read by ingest, by source and result');
  for (const s of summary.sources) {
    rows.add(s.stored, { source: s.source, result: 'stored' });
    rows.add(s.duplicates, { source: s.source, result: 'duplicate' });
    rows.add(s.quarantined, { source: s.source, result: 'quarantined' });
  }
}

export function countComputed(cohortId: string, size: number): void {
  meter()
    .createGauge('cohortflow_computed_members', 'int', 'members', 'Members of the latest snapshot computed, by cohort')
    .set(size, { cohort: cohortId });
}

export function countBatchDelivered(destination: string): void {
  meter()
    .createCounter('cohortflow_delivery_batches', 'batches', 'Batches acknowledged by destinations')
    .add(1, { destination });
}

export function countRunFinished(outcome: RefreshOutcomeKind): void {
  meter().createCounter('cohortflow_runs_finished', 'runs', 'Refresh runs finished, by outcome').add(1, { outcome });
}
