import { sampleSizeTwoProportions } from './statistics/sample-size';

/** The question of `experiments plan` with its answer beside it, as the CLI and the API show it. */
export function samplePlan(q: {
  baselineRate: number;
  mde: number;
  power: number;
  alpha: number;
  controlPerTreatment: number;
}) {
  const plan = sampleSizeTwoProportions(q);
  return {
    ...q,
    treatment: plan.treatment,
    control: plan.control,
    total: plan.treatment + plan.control,
    achievedPower: plan.achievedPower,
  };
}
