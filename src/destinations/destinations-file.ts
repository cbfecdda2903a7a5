import fs from 'node:fs/promises';
import { z } from 'zod';
import { lineOf, readYamlDocument } from '../yaml-document';
import { DestinationConfig, type Destination } from './destination';
import { assertSafeUrl, type HostLookup } from './network-guard';

export class InvalidDestinationsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid destinations:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'InvalidDestinationsError';
  }
}

const DestinationsFile = z
  .object({ destinations: z.array(DestinationConfig).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.destinations.forEach((d, i) => {
      if (seen.has(d.name))
        ctx.addIssue({ code: 'custom', path: ['destinations', i, 'name'], message: `${d.name} is named twice` });
      seen.add(d.name);
    });
    // published_cohort_members holds one membership per cohort, so one SQL destination feeds it.
    if (file.destinations.filter((d) => d.kind === 'sql').length > 1)
      ctx.addIssue({ code: 'custom', path: ['destinations'], message: 'at most one sql destination' });
  });

const valueAt = (root: unknown, at: PropertyKey[]) =>
  at.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );

/**
 * Parses COHORTFLOW_DESTINATIONS_FILE: every problem names file:line, the path and the bad value.
 * Webhook secrets come from the environment variables the file names, never from the file.
 */
export async function parseDestinations(
  file: string,
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  lookup?: HostLookup,
): Promise<Destination[]> {
  const read = readYamlDocument(text, file);
  if (read.problems) throw new InvalidDestinationsError(read.problems);
  const { doc, raw } = read;
  const where = (at: PropertyKey[]) => {
    const line = lineOf(doc, text, at);
    return `${file}${line ? `:${line}` : ''}: ${at.join('.') || '(document)'}`;
  };
  const parsed = DestinationsFile.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidDestinationsError(
      parsed.error.issues.map((i) => {
        const value = valueAt(raw, i.path);
        const got =
          value !== undefined && (typeof value !== 'object' || value === null) ? ` (got ${JSON.stringify(value)})` : '';
        return `${where(i.path)}: ${i.message}${got}`;
      }),
    );
  }
  const problems: string[] = [];
  const destinations: Destination[] = [];
  for (const [i, d] of parsed.data.destinations.entries()) {
    if (d.kind !== 'webhook') {
      destinations.push(d);
      continue;
    }
    const secrets = d.secretsEnv.map((name, j) => {
      const secret = env[name];
      // The secret is named, never echoed.
      if (!secret || !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(secret))
        problems.push(
          `${where(['destinations', i, 'secretsEnv', j])}: environment variable ${name} must hold a whsec_ secret`,
        );
      return secret ?? '';
    });
    await assertSafeUrl(d.name, d.url, d.allowPrivateNetwork, lookup).catch((err: Error) =>
      problems.push(`${where(['destinations', i, 'url'])}: ${err.message}`),
    );
    destinations.push({ ...d, secrets });
  }
  if (problems.length > 0) throw new InvalidDestinationsError(problems);
  return destinations;
}

export async function loadDestinationsFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Destination[]> {
  return parseDestinations(file, await fs.readFile(file, 'utf8'), env);
}

/** Cohorts naming a destination that is not configured: one problem per cohort and name. */
export function unknownDestinations(
  cohorts: Array<{ id: string; destinations: string[] }>,
  destinations: Destination[],
): string[] {
  const known = new Set(destinations.map((d) => d.name));
  return cohorts.flatMap((c) =>
    c.destinations
      .filter((n) => !known.has(n))
      .map(
        (n) =>
          `cohort ${c.id} lists destination ${JSON.stringify(n)}, which ${known.size ? `is not one of ${[...known].join(', ')}` : 'is not configured'}`,
      ),
  );
}

/**
 * Without a destinations file: WEBHOOK_URL (or the demo inbox) is the one destination for every
 * cohort, as before issue 6 (the names cohorts list are not checked then). Purpose product and
 * customer ids only, so it keeps receiving every member it always did; configure a file to
 * apply marketing consent.
 */
export function legacyWebhookDestination(options: {
  name: string;
  url: string;
  secret: string;
  allowPrivateNetwork: boolean;
}): Destination {
  return {
    kind: 'webhook',
    name: options.name,
    purpose: 'product',
    fields: ['customer_id'],
    allowRawEmail: false,
    url: options.url,
    secretsEnv: ['WEBHOOK_SECRET'],
    secrets: [options.secret],
    maxBatchBytes: 256 * 1024,
    timeoutMs: 30_000,
    // Only when WEBHOOK_ALLOW_PRIVATE_NETWORK says so, or for the built-in demo inbox (the API's own route).
    allowPrivateNetwork: options.allowPrivateNetwork,
    catchAll: true,
  };
}
