import { type Allocation } from './assignment';
import { controlArm, type ExperimentDefinition, isBinaryKpi } from './experiment';
import { compareMeans, type MeanComparison } from './statistics/means';
import { compareProportions, type ProportionComparison } from './statistics/proportions';
import { stratifiedSampleRatioMismatch, type StratifiedSampleRatioCheck } from './statistics/sample-ratio';

// The experiment report from per-arm figures: each arm against the control on the KPI, and the
// sample ratio check over the assignments. The figures are aggregates SQL computes (counts,
// sums, variances per arm); no member list reaches this module.

/** Per arm, as measured at the report's asOf. */
export interface ArmFigures {
  arm: string;
  /** Members ever assigned to the arm. */
  assigned: number;
  /** Members whose KPI window had closed by asOf: the KPI is over these. */
  measured: number;
  /** Binary KPI: measured members who converted / were retained. */
  successes?: number;
  /** Revenue KPI: mean and sample variance (n − 1) over the measured members, 0 for those who paid nothing. */
  mean?: number;
  variance?: number;
}

/** Members assigned per arm under each allocation version, for the sample ratio check. */
export interface AssignmentCounts {
  allocation: Allocation;
  perArm: Record<string, number>;
}

export interface ArmComparison {
  arm: string;
  against: string;
  /** Bonferroni: the p-value times the number of comparisons (at most 1), for A/B/C experiments. */
  adjustedPValue: number | null;
  /** The adjusted p-value is below alpha. */
  significant: boolean;
  figures: ProportionComparison | MeanComparison;
}

export interface ExperimentReport {
  experimentId: string;
  kpi: ExperimentDefinition['kpi'];
  alpha: number;
  control: string;
  arms: (ArmFigures & { holdout: boolean; value: number | null })[];
  comparisons: ArmComparison[];
  sampleRatio: StratifiedSampleRatioCheck;
  /** Plain-language reasons to read the figures with care. */
  cautions: string[];
}

/** Below this many measured members in an arm, the normal approximations behind the tests are rough. */
export const SMALL_ARM = 30;

function checkFigures(e: ExperimentDefinition, figures: readonly ArmFigures[]): Map<string, ArmFigures> {
  const byArm = new Map(figures.map((f) => [f.arm, f]));
  for (const f of figures)
    if (!e.arms.some((a) => a.id === f.arm)) throw new RangeError(`report: no arm "${f.arm}" in experiment ${e.id}`);
  for (const a of e.arms) if (!byArm.has(a.id)) throw new RangeError(`report: no figures for arm "${a.id}"`);
  return byArm;
}

function compare(e: ExperimentDefinition, control: ArmFigures, arm: ArmFigures) {
  if (isBinaryKpi(e.kpi))
    return compareProportions(
      { n: control.measured, successes: control.successes ?? 0 },
      { n: arm.measured, successes: arm.successes ?? 0 },
      e.alpha,
    );
  return compareMeans(
    { n: control.measured, mean: control.mean ?? 0, variance: control.variance ?? 0 },
    { n: arm.measured, mean: arm.mean ?? 0, variance: arm.variance ?? 0 },
    e.alpha,
  );
}

export function analyseExperiment(
  e: ExperimentDefinition,
  figures: readonly ArmFigures[],
  assignments: readonly AssignmentCounts[],
): ExperimentReport {
  const byArm = checkFigures(e, figures);
  const control = controlArm(e);
  const controlFigures = byArm.get(control)!;
  const cautions: string[] = [];
  const minimum = isBinaryKpi(e.kpi) ? 1 : 2;
  const treated = e.arms.filter((a) => a.id !== control);
  const comparisons: ArmComparison[] = [];
  for (const a of treated) {
    const f = byArm.get(a.id)!;
    if (f.measured < minimum || controlFigures.measured < minimum) {
      cautions.push(`${a.id} against ${control}: not enough measured members to compare yet`);
      continue;
    }
    const result = compare(e, controlFigures, f);
    const adjusted = result.pValue === null ? null : Math.min(1, result.pValue * treated.length);
    comparisons.push({
      arm: a.id,
      against: control,
      adjustedPValue: adjusted,
      significant: adjusted !== null && adjusted < e.alpha,
      figures: result,
    });
  }
  for (const f of figures)
    if (f.measured < SMALL_ARM)
      cautions.push(
        `${f.arm} has ${f.measured} measured members: the normal approximation is rough below ${SMALL_ARM}`,
      );
  const sampleRatio = stratifiedSampleRatioMismatch(
    assignments.map((c) => ({
      shares: Object.fromEntries(c.allocation.arms.map((a) => [a.arm, a.share])),
      observed: c.perArm,
    })),
    e.srmThreshold,
  );
  if (sampleRatio.mismatch)
    cautions.push(
      `sample ratio mismatch (p = ${sampleRatio.pValue.toPrecision(3)}): the split is broken; do not trust the comparisons until it is explained`,
    );
  if (assignments.length > 1)
    cautions.push(
      `the allocation changed ${assignments.length - 1} time(s); comparisons pool members assigned under different shares`,
    );
  return {
    experimentId: e.id,
    kpi: e.kpi,
    alpha: e.alpha,
    control,
    arms: e.arms.map((a) => {
      const f = byArm.get(a.id)!;
      const value = isBinaryKpi(e.kpi)
        ? f.measured > 0
          ? (f.successes ?? 0) / f.measured
          : null
        : f.measured > 0
          ? (f.mean ?? null)
          : null;
      return { ...f, holdout: a.holdout, value };
    }),
    comparisons,
    sampleRatio,
    cautions,
  };
}
