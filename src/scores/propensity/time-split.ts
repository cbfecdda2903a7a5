// Training and validation rows are split by time, never at random: a model is validated on
// asOf points later than every one it learnt from, as it will be used. And a training row's
// label looks ahead (cancelled within the next 30 days), so a training row whose label window
// reaches into the validation period would let the model learn from the future it is then
// judged on: such rows are dropped.

const DAY_MS = 86_400_000;

export interface TimeSplit {
  train: Int32Array;
  validation: Int32Array;
  trainAsOfs: number[];
  validationAsOfs: number[];
  /** Rows of training asOfs whose label window ends after the first validation asOf. */
  droppedForLabelOverlap: number;
}

/**
 * The last `validationAsOfs` distinct asOfs (default: a quarter of them, at least one) validate;
 * the earlier ones train, less those whose asOf + labelHorizonDays is past the first validation asOf.
 * asOf values are epoch milliseconds.
 */
export function splitByAsOf(
  asOf: Float64Array,
  { labelHorizonDays, validationAsOfs }: { labelHorizonDays: number; validationAsOfs?: number },
): TimeSplit {
  if (!(labelHorizonDays > 0)) throw new RangeError(`labelHorizonDays must be > 0, got ${labelHorizonDays}`);
  asOf.forEach((t, row) => {
    if (!Number.isFinite(t)) throw new RangeError(`asOf of row ${row} is not a time: ${t}`);
  });
  const distinct = [...new Set(asOf)].sort((a, b) => a - b);
  const holdOut = validationAsOfs ?? Math.max(1, Math.ceil(distinct.length / 4));
  if (!(Number.isInteger(holdOut) && holdOut >= 1 && holdOut < distinct.length))
    throw new RangeError(
      `time split: cannot hold out ${holdOut} of ${distinct.length} distinct asOfs (need at least one for training and one for validation)`,
    );
  const firstValidation = distinct[distinct.length - holdOut]!;
  const latestTrainable = firstValidation - labelHorizonDays * DAY_MS;
  const train: number[] = [];
  const validation: number[] = [];
  let dropped = 0;
  asOf.forEach((t, row) => {
    if (t >= firstValidation) validation.push(row);
    else if (t <= latestTrainable) train.push(row);
    else dropped += 1;
  });
  if (train.length === 0)
    throw new RangeError(
      `time split: no training row ends its ${labelHorizonDays}-day label window by the first validation asOf ${new Date(firstValidation).toISOString()}`,
    );
  return {
    train: Int32Array.from(train),
    validation: Int32Array.from(validation),
    trainAsOfs: distinct.filter((t) => t <= latestTrainable),
    validationAsOfs: distinct.slice(distinct.length - holdOut),
    droppedForLabelOverlap: dropped,
  };
}
