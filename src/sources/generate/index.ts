import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { SourceKindName } from '../kinds';
import { ProductActivity } from './activity';
import { Sprinkler } from './bad-rows';
import { Calendar } from './calendar';
import { Lifecycle } from './lifecycle';
import { Population } from './population';
import { ProductDay } from './product-day';
import { ProductRows } from './product-rows';
import { streamFor } from './random';
import { RecordRows } from './record-rows';
import { RowFiles } from './row-files';
import { csvHeader } from './rows';
import { SupportDesk } from './support';

export const GenerateOptions = z
  .object({
    customers: z.number().int().min(1).max(100_000_000),
    days: z.number().int().min(1).max(3650),
    seed: z.number().int(),
    /** The end of the window; rows are written up to it. Default: the current time. */
    now: z.date().optional(),
    format: z.enum(['ndjson', 'csv']).default('ndjson'),
    gzip: z.boolean().default(false),
    /** Share of injected bad rows, per kind. */
    badRowRate: z.number().min(0).max(0.5).default(0.001),
    /** Share of exact re-sent rows (product, billing, support); default half of badRowRate. */
    duplicateRate: z.number().min(0).max(0.5).optional(),
    /** Rows per file before the next `<kind>-NNNN` file starts (every kind). */
    eventsPerFile: z.number().int().min(1).default(1_000_000),
    /**
     * Customers per rare story played out near the end of the window: a payment that failed in the
     * last days, a win-back a month or two ago, a run of support tickets. A small population can go
     * weeks without any; the demo uses a few so every default cohort has members. 0: none forced.
     */
    stories: z.number().int().min(0).max(1_000).default(0),
  })
  .strict();
export type GenerateOptions = z.input<typeof GenerateOptions>;

export interface KindSummary {
  files: number;
  /** Every line written (headers aside): good rows, bad rows and duplicates. */
  rows: number;
  /** Rows that must land in quarantine. */
  bad: number;
  /** Exact copies of earlier good rows: counted as duplicates by the ingest, never stored twice. */
  duplicates: number;
  badBySort: Record<string, number>;
}
export type GenerateSummary = Record<SourceKindName, KindSummary>;

const KINDS: readonly SourceKindName[] = ['product', 'crm', 'billing', 'support'];
const OUR_FILES = /^(product|crm|billing|support)-\d{4}\.(ndjson|csv)(\.gz)?$/;

/**
 * Writes a realistic, reproducible source folder for all four kinds (docs/sources.md): the
 * same options, seed and `now` give byte-identical files. Files of an earlier run with the
 * generator's names are removed first, so a smaller run leaves no stale files behind.
 */
export async function generateSources(outDir: string, options: GenerateOptions): Promise<GenerateSummary> {
  const parsed = GenerateOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new Error(
      `generate: ${field}: ${issue.message} (got ${JSON.stringify((options as Record<string, unknown>)[field])})`,
    );
  }
  const o = parsed.data;
  const now = (o.now ?? new Date()).getTime();
  const calendar = new Calendar(o.days, now);

  await fs.mkdir(outDir, { recursive: true });
  for (const name of await fs.readdir(outDir)) if (OUR_FILES.test(name)) await fs.rm(path.join(outDir, name));

  const files = {} as Record<SourceKindName, RowFiles>;
  const sprinklers = {} as Record<SourceKindName, Sprinkler>;
  for (const kind of KINDS) {
    files[kind] = new RowFiles(outDir, kind, {
      extension: o.format,
      gzip: o.gzip,
      header: o.format === 'csv' ? csvHeader(kind) : undefined,
      rowsPerFile: o.eventsPerFile,
    });
    const duplicate = kind === 'crm' ? 0 : (o.duplicateRate ?? o.badRowRate / 2);
    sprinklers[kind] = new Sprinkler(kind, o.format, streamFor(o.seed, `bad:${kind}`), {
      bad: o.badRowRate,
      duplicate,
      now,
    });
  }
  const product = new ProductRows(calendar, o.format, sprinklers.product, files.product);
  const crm = new RecordRows('crm', o.format, sprinklers.crm, files.crm);
  const billing = new RecordRows('billing', o.format, sprinklers.billing, files.billing);
  const support = new RecordRows('support', o.format, sprinklers.support, files.support);

  const people = new Population(o.customers, calendar, streamFor(o.seed, 'population'));
  const lifecycle = new Lifecycle(
    people,
    calendar,
    streamFor(o.seed, 'lifecycle'),
    streamFor(o.seed, 'crm-mess'),
    o.stories,
  );
  const activity = new ProductActivity(people, calendar, streamFor(o.seed, 'activity'), streamFor(o.seed, 'adoption'));
  const desk = new SupportDesk(people, calendar, streamFor(o.seed, 'support'), o.stories);
  const events = new ProductDay();

  const snapshot = lifecycle.openWindow();
  for (let from = 0; from < snapshot.customers.length; from += 10_000)
    await crm.write(lifecycle.snapshotRows(snapshot, from, 10_000));
  for (let day = 0; day < calendar.days; day += 1) {
    lifecycle.advance(day, events);
    activity.generate(day, events);
    desk.open(day, lifecycle.paymentFailures);
    await product.writeDay(day, events);
    await crm.write(lifecycle.crmRows);
    await billing.write(lifecycle.billingRows);
    await support.write(desk.rows);
    events.clear();
    lifecycle.clearDay();
    desk.clearDay();
  }
  await Promise.all([product.finish(), crm.finish(), billing.finish(), support.finish()]);

  const summary = {} as GenerateSummary;
  for (const kind of KINDS) {
    const s = sprinklers[kind];
    summary[kind] = {
      files: files[kind].files,
      rows: files[kind].rows,
      bad: s.bad,
      duplicates: s.duplicates,
      badBySort: { ...s.badBySort },
    };
  }
  return summary;
}
