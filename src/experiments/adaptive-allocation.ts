import { type Allocation } from './assignment';
import { type ExperimentDefinition } from './experiment';
import { betaDraw, type RandomSource } from './random';

// Adaptive allocation by Thompson sampling. Each non-holdout arm's conversion rate gets a
// Beta(1 + successes, 1 + failures) posterior (a uniform prior); many joint draws from the
// posteriors estimate the probability that each arm is the best, and the arms share what the
// holdout leaves in proportion to it, above their floors:
//
//   share_i = floor_i + (1 − holdout − Σ floors) · P(arm i is best)
//
// The holdout's share never moves (it measures the treatments' combined effect), floors keep
// every arm learning, and the new shares only apply to members assigned from now on.

export const PRIOR = { alpha: 1, beta: 1 } as const;

export interface ArmOutcomes {
  arm: string;
  /** Members whose KPI window has closed and who converted (or were retained). */
  successes: number;
  /** Members whose KPI window has closed and who did not. */
  failures: number;
}

export interface ArmEvidence extends ArmOutcomes {
  posteriorMean: number;
  probabilityBest: number;
  floor: number;
  previousShare: number;
  share: number;
}

/** What a reallocation saw and decided: recorded with the allocation and shown in the report. */
export interface ReallocationEvidence {
  decision: 'reallocated' | 'warming-up';
  draws: number;
  prior: typeof PRIOR;
  arms: ArmEvidence[];
  holdout: { arm: string; share: number } | null;
}

export interface Reallocation {
  allocation: Allocation;
  evidence: ReallocationEvidence;
}

/** P(arm i has the highest rate), by `draws` joint draws from the posteriors; ties go to the earlier arm. */
export function probabilityBest(outcomes: readonly ArmOutcomes[], draws: number, random: RandomSource): number[] {
  const wins = outcomes.map(() => 0);
  for (let d = 0; d < draws; d += 1) {
    let best = 0;
    let bestValue = -1;
    outcomes.forEach((o, i) => {
      const value = betaDraw(PRIOR.alpha + o.successes, PRIOR.beta + o.failures, random);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    });
    wins[best]! += 1;
  }
  return wins.map((w) => w / draws);
}

function checkOutcomes(e: ExperimentDefinition, outcomes: readonly ArmOutcomes[]): void {
  for (const o of outcomes) {
    if (!e.arms.some((a) => a.id === o.arm && !a.holdout))
      throw new RangeError(`reallocation: "${o.arm}" is not a non-holdout arm of experiment ${e.id}`);
    for (const n of [o.successes, o.failures])
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`reallocation: arm ${o.arm} has a count of ${n}`);
  }
}

/**
 * The next allocation from the evidence so far. Until every non-holdout arm has `warmup`
 * measured members the shares stay as they are (decision `warming-up`); the version only
 * increases when shares are recomputed.
 */
export function reallocate(
  e: ExperimentDefinition,
  previous: Allocation,
  outcomes: readonly ArmOutcomes[],
  random: RandomSource,
): Reallocation {
  if (!e.adaptive) throw new RangeError(`experiment ${e.id} does not use adaptive allocation`);
  checkOutcomes(e, outcomes);
  const adaptive = e.adaptive;
  const moving = e.arms.filter((a) => !a.holdout);
  const holdoutArm = e.arms.find((a) => a.holdout);
  const shareOf = (arm: string) => previous.arms.find((a) => a.arm === arm)?.share ?? 0;
  const ordered = moving.map((a) => outcomes.find((o) => o.arm === a.id) ?? { arm: a.id, successes: 0, failures: 0 });
  const floors = moving.map((a) => a.floor ?? adaptive.floor);
  const warmingUp = ordered.some((o) => o.successes + o.failures < adaptive.warmup);
  const best = probabilityBest(ordered, adaptive.draws, random);
  const holdoutShare = holdoutArm ? holdoutArm.share : 0;
  const spare = 1 - holdoutShare - floors.reduce((s, f) => s + f, 0);
  const arms: ArmEvidence[] = ordered.map((o, i) => ({
    ...o,
    posteriorMean: (PRIOR.alpha + o.successes) / (PRIOR.alpha + PRIOR.beta + o.successes + o.failures),
    probabilityBest: best[i]!,
    floor: floors[i]!,
    previousShare: shareOf(o.arm),
    share: warmingUp ? shareOf(o.arm) : floors[i]! + spare * best[i]!,
  }));
  const evidence: ReallocationEvidence = {
    decision: warmingUp ? 'warming-up' : 'reallocated',
    draws: adaptive.draws,
    prior: PRIOR,
    arms,
    holdout: holdoutArm ? { arm: holdoutArm.id, share: holdoutShare } : null,
  };
  if (warmingUp) return { allocation: previous, evidence };
  const shares = new Map(arms.map((a) => [a.arm, a.share]));
  return {
    allocation: {
      version: previous.version + 1,
      arms: e.arms.map((a) => ({ arm: a.id, share: a.holdout ? holdoutShare : shares.get(a.id)! })),
    },
    evidence,
  };
}
