import fs from 'node:fs';
import path from 'node:path';
import { controlArm, parseExperiment } from '../../src/experiments/experiment';
import { isMeasurable, measurableCutoff, observationWindow } from '../../src/experiments/kpi-window';
import { InvalidInputError } from '../../src/yaml-input';

const EXAMPLE = path.join(__dirname, '../../examples/experiments/winback-email.yaml');
const exampleText = fs.readFileSync(EXAMPLE, 'utf8');

/** The problems an invalid experiment file is refused with. */
function problemsOf(text: string): string[] {
  try {
    parseExperiment(text, 'experiments/x.yaml');
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems;
    throw err;
  }
  throw new Error('the experiment was accepted');
}

const base = `id: trial-nudge
cohort: trial-about-to-convert
hypothesis: A nudge on day 10 of the trial raises conversion.
owner: growth
salt: tn-2026-abcdefgh
kpi: { kind: conversion, event: trial.converted, withinDays: 14 }
`;

describe('an experiment definition', () => {
  it('reads the example file, with the defaults filled in', () => {
    const e = parseExperiment(exampleText, EXAMPLE);
    expect(e.arms.map((a) => [a.id, a.share, a.holdout])).toEqual([
      ['holdout', 0.1, true],
      ['plain', 0.45, false],
      ['discount', 0.45, false],
    ]);
    expect(controlArm(e)).toBe('holdout');
    expect(e.srmThreshold).toBe(0.001);
    expect(e.adaptive).toEqual({ floor: 0.1, draws: 20000, warmup: 200 });
  });

  it('accepts an A/B/C split without a holdout when the control is named', () => {
    const e = parseExperiment(
      `${base}control: a\narms:\n  - { id: a, share: 0.3333333333 }\n  - { id: b, share: 0.3333333333 }\n  - { id: c, share: 0.3333333334 }\n`,
      'x.yaml',
    );
    expect(controlArm(e)).toBe('a');
  });

  it('refuses shares that do not add up to 1, naming the file, the line and the sum', () => {
    expect(
      problemsOf(`${base}arms:\n  - { id: holdout, share: 0.1, holdout: true }\n  - { id: email, share: 0.8 }\n`),
    ).toEqual(["experiments/x.yaml:8: arms: the arms' shares must add up to 1, they add up to 0.9"]);
  });

  it.each([
    [
      'an arm named twice',
      `arms:\n  - { id: a, share: 0.5, holdout: true }\n  - { id: a, share: 0.5 }\n`,
      'experiments/x.yaml:9: arms.1.id: arm "a" is named twice',
    ],
    [
      'no control and no holdout',
      `arms:\n  - { id: a, share: 0.5 }\n  - { id: b, share: 0.5 }\n`,
      'experiments/x.yaml: control: name the control arm (it defaults to the holdout arm, and there is none)',
    ],
    [
      'a control that is no arm',
      `control: z\narms:\n  - { id: a, share: 0.5 }\n  - { id: b, share: 0.5 }\n`,
      'experiments/x.yaml:7: control: no arm "z" (arms: a, b)',
    ],
    [
      'two holdouts',
      `arms:\n  - { id: a, share: 0.5, holdout: true }\n  - { id: b, share: 0.3, holdout: true }\n  - { id: c, share: 0.2 }\n`,
      'experiments/x.yaml:8: arms: at most one holdout arm, got a, b',
    ],
    [
      'a floor without adaptive allocation',
      `arms:\n  - { id: a, share: 0.5, holdout: true }\n  - { id: b, share: 0.5, floor: 0.1 }\n`,
      'experiments/x.yaml:9: arms.1.floor: a floor only applies with adaptive allocation (got 0.1)',
    ],
  ])('refuses %s', (_, arms, problem) => {
    expect(problemsOf(base + arms)).toEqual([problem]);
  });

  it('refuses a salt with a colon, which would make the hash input ambiguous', () => {
    const problems = problemsOf(
      base.replace('tn-2026-abcdefgh', '"a:bcdefgh"') +
        `arms:\n  - { id: a, share: 0.5, holdout: true }\n  - { id: b, share: 0.5 }\n`,
    );
    expect(problems).toEqual(['experiments/x.yaml:5: salt: 8–64 letters, digits, _ or - (got "a:bcdefgh")']);
  });

  it('refuses adaptive allocation on a revenue KPI and floors that leave nothing to share', () => {
    const text = `${base.replace(/kpi: .*\n/, 'kpi: { kind: revenue, withinDays: 30 }\n')}arms:
  - { id: holdout, share: 0.2, holdout: true }
  - { id: a, share: 0.4 }
  - { id: b, share: 0.4 }
adaptive: { floor: 0.45 }
`;
    expect(problemsOf(text)).toEqual([
      'experiments/x.yaml:11: adaptive: adaptive allocation needs a conversion or retention KPI (Beta-Binomial); revenue is a mean',
      'experiments/x.yaml:11: adaptive.floor: the floors add up to 0.9, more than the 0.8 the non-holdout arms share (got 0.45)',
    ]);
  });

  it('refuses adaptive allocation with a single arm to move', () => {
    expect(
      problemsOf(
        `${base}arms:\n  - { id: holdout, share: 0.1, holdout: true }\n  - { id: a, share: 0.9 }\nadaptive: {}\n`,
      ),
    ).toEqual(['experiments/x.yaml:10: adaptive: adaptive allocation needs at least two arms that are not holdouts']);
  });
});

describe('when a KPI is observed', () => {
  const assignedAt = new Date('2026-11-02T06:00:00Z');

  it('counts a conversion from the assignment for withinDays days', () => {
    const kpi = { kind: 'conversion' as const, event: 'purchase', withinDays: 30 };
    expect(observationWindow(kpi, assignedAt)).toEqual({
      from: new Date('2026-11-02T06:00:00Z'),
      until: new Date('2026-12-02T06:00:00Z'),
    });
    expect(isMeasurable(kpi, assignedAt, new Date('2026-12-02T05:59:59Z'))).toBe(false);
    expect(isMeasurable(kpi, assignedAt, new Date('2026-12-02T06:00:00Z'))).toBe(true);
    expect(measurableCutoff(kpi, new Date('2026-12-02T06:00:00Z'))).toEqual(assignedAt);
  });

  it('looks for retention in a window that starts afterDays after the assignment', () => {
    const kpi = { kind: 'retention' as const, afterDays: 28, windowDays: 7 };
    expect(observationWindow(kpi, assignedAt)).toEqual({
      from: new Date('2026-11-30T06:00:00Z'),
      until: new Date('2026-12-07T06:00:00Z'),
    });
    expect(measurableCutoff(kpi, new Date('2026-12-07T06:00:00Z'))).toEqual(assignedAt);
  });
});
