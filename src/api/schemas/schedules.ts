import { z } from 'zod';
import type { FreezeView as FreezeViewType, ScheduleView as ScheduleViewType } from '../../temporal/schedule-control';
import { ErrorBody, guarded, Moment, same, type Same } from './common';
import { route } from './contract';

// The refresh schedules: list them with their next slots and the freezes ahead (operator), pause
// or resume one and declare a freeze window (admin). Every change says why and is audited.

const ScheduleId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,63}$/, 'a schedule id such as cohortflow-monthly')
  .meta({ example: 'cohortflow-monthly' });
const ScheduleParams = z.object({ id: ScheduleId }).strict();
const Reason = z.string().trim().min(5, 'say in a few words why').max(500);

export const ScheduleView = z
  .object({
    id: z.string(),
    cadence: z.string(),
    tier: z.string(),
    when: z.string().meta({ description: 'The cadence in words, with its calendar and time zone.' }),
    paused: z.boolean(),
    note: z.string().nullable().meta({ description: 'Who paused or resumed it last, and why.' }),
    nextRuns: z.array(z.string()),
    lastSlot: z.string().nullable().meta({ description: 'The newest slot a run was started for.' }),
  })
  .meta({ id: 'Schedule' });
same<Same<z.output<typeof ScheduleView>, ScheduleViewType>>(true);

export const FreezeView = z
  .object({
    name: z.string(),
    reason: z.string(),
    onPublish: z.enum(['wait', 'skip']),
    from: z.string(),
    until: z.string(),
    source: z.enum(['file', 'declared']),
  })
  .meta({ id: 'FreezeWindow' });
same<Same<z.output<typeof FreezeView>, FreezeViewType>>(true);

export const listSchedules = route({
  method: 'GET',
  url: '/schedules',
  roles: ['operator'],
  tags: ['schedules'],
  summary: 'The refresh schedules with their next slots, and the freeze windows of the next 120 days',
  schema: {
    response: {
      200: z.object({ schedules: z.array(ScheduleView), freezes: z.array(FreezeView) }),
      ...guarded,
      404: ErrorBody,
    },
  },
});

const change = (action: 'pause' | 'resume', summary: string) =>
  route({
    method: 'POST',
    url: `/schedules/:id/${action}`,
    roles: ['admin'],
    tags: ['schedules'],
    summary,
    schema: {
      params: ScheduleParams,
      body: z.object({ reason: Reason }).strict(),
      response: { 200: ScheduleView, ...guarded, 404: ErrorBody },
    },
  });

export const pauseSchedule = change('pause', 'Pause a schedule: no slot starts until it is resumed (audited)');
export const resumeSchedule = change(
  'resume',
  'Resume a paused schedule; slots missed meanwhile are caught up once, by the catch-up policy (audited)',
);

const WholeMinute = Moment.refine((t) => new Date(t).getTime() % 60_000 === 0, 'a time on a whole minute');

export const declareFreeze = route({
  method: 'POST',
  url: '/schedules/freezes',
  roles: ['admin'],
  tags: ['schedules'],
  summary: 'Declare a freeze window: no run publishes from `from` until `until` (audited)',
  description:
    'onPublish wait: a run reaching publish inside the window waits until no freeze is in force; skip: it ends without publishing (outcome skipped).',
  schema: {
    body: z
      .object({
        name: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'lower-case letters, digits and dashes'),
        reason: Reason.refine((r) => r.length >= 10, 'say in a sentence why nothing may publish then'),
        from: WholeMinute,
        until: WholeMinute,
        onPublish: z.enum(['wait', 'skip']).default('wait'),
      })
      .strict()
      .refine((f) => new Date(f.until) > new Date(f.from), { path: ['until'], message: 'must be after from' })
      .refine((f) => new Date(f.until) > new Date(), { path: ['until'], message: 'is in the past' }),
    response: { 201: FreezeView, ...guarded, 409: ErrorBody },
  },
});
