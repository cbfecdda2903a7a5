import { z } from 'zod';

/** The fields a destination may be sent, besides nothing: an allow-list, also used to build SQL. */
export const DeliverableField = z.enum(['customer_id', 'email_sha256', 'email', 'plan', 'country']);
export type DeliverableField = z.infer<typeof DeliverableField>;

const common = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  /** Consent is given per purpose; marketing needs customers.consent_marketing = true. */
  purpose: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a purpose such as marketing, product or sales'),
  fields: z.array(DeliverableField).min(1).default(['customer_id']),
  allowRawEmail: z.boolean().default(false),
  /**
   * activation (campaigns, CRM sync): a running experiment's holdout members are never sent.
   * analysis: every member is sent with its arm. Default: analysis for the SQL table, activation
   * for the rest.
   */
  use: z.enum(['activation', 'analysis']).optional(),
};

export const WebhookDestinationConfig = z
  .object({
    ...common,
    kind: z.literal('webhook'),
    url: z.string().min(1),
    /** Names of environment variables holding whsec_ secrets; every one signs (rotation). */
    secretsEnv: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')).min(1),
    maxBatchBytes: z
      .number()
      .int()
      .min(1024)
      .default(256 * 1024),
    timeoutMs: z.number().int().positive().default(30_000),
    allowPrivateNetwork: z.boolean().default(false),
  })
  .strict();

export const FileDestinationConfig = z
  .object({
    ...common,
    kind: z.literal('file'),
    folder: z.string().min(1),
    formats: z
      .array(z.enum(['csv', 'ndjson']))
      .min(1)
      .default(['csv', 'ndjson']),
  })
  .strict();

export const SqlDestinationConfig = z.object({ ...common, kind: z.literal('sql') }).strict();

export const DestinationConfig = z
  .discriminatedUnion('kind', [WebhookDestinationConfig, FileDestinationConfig, SqlDestinationConfig])
  .superRefine((d, ctx) => {
    if (d.fields.includes('email') && !d.allowRawEmail) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields'],
        message: 'email (raw) needs allowRawEmail: true; send email_sha256 instead',
      });
    }
  });
export type DestinationConfig = z.infer<typeof DestinationConfig>;

/**
 * A configured destination, with its webhook secrets read from the environment. catchAll marks the
 * pre-issue-6 WEBHOOK_URL destination: it receives every cohort, whatever names the cohort lists.
 */
export type Destination = (
  | (z.infer<typeof WebhookDestinationConfig> & { secrets: string[] })
  | z.infer<typeof FileDestinationConfig>
  | z.infer<typeof SqlDestinationConfig>
) & { catchAll?: boolean };

/** Whether the destination acts on members (holdouts held back) or analyses them (every member, with its arm). */
export const useOf = (d: Pick<Destination, 'kind' | 'use'>): 'activation' | 'analysis' =>
  d.use ?? (d.kind === 'sql' ? 'analysis' : 'activation');
