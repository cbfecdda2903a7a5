import path from 'node:path';
import type { StringValue } from '@temporalio/common';
import { z } from 'zod';
import { KeyringDocument } from './governance/proof-keys';
import { loadTemporalProfile, type TemporalProfile } from './temporal/client-profile';

/**
 * Roles a bearer token can carry; see src/api/auth.ts for what each may do. viewer reads,
 * operator starts refreshes, approver decides them, analyst changes cohort definitions.
 */
export const Role = z.enum(['viewer', 'operator', 'approver', 'analyst', 'admin']);
export type Role = z.infer<typeof Role>;

export const TokenGrant = z.object({ user: z.string().min(1), roles: z.array(Role).min(1) });
export type TokenGrant = z.infer<typeof TokenGrant>;

/** A duration such as 90s, 30m, 72h or 7d: a subset of what Temporal's durations accept, typed as theirs. */
export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 30m, 72h or 7d')
  .transform((text) => text as StringValue);

const jsonFromEnv = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

const webhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'a Standard Webhooks secret: whsec_ followed by base64');

/** "true" or "false"; anything else is refused rather than read as false. */
const flag = z
  .enum(['true', 'false'], 'true or false')
  .default('false')
  .transform((v) => v === 'true');

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** Everything configurable, from the environment; parsed once by loadConfig(). */
const EnvSchema = z.object({
  COHORTFLOW_HOME: z.string().default(process.cwd()),
  COHORTFLOW_DATA_DIR: z.string().optional(),
  DATABASE_URL: z.string().url().optional(),
  // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and
  // TEMPORAL_CONFIG_FILE are Temporal's own client settings: loadTemporalProfile reads and checks them.
  /** The embedded PostgreSQL's TCP port on 127.0.0.1 (without DATABASE_URL); 0: a free port at each start. */
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  TEMPORAL_UI_PORT: z.coerce.number().int().positive().default(8233),
  TEMPORAL_PORT: z.coerce.number().int().positive().default(7233),
  COHORTFLOW_TASK_QUEUE: z.string().default('cohortflow'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().nonnegative().default(3000),
  /** Where a worker serves Prometheus metrics: host:port (port 0: a free one, logged), or off. */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^(off|[^\s:]+:\d{1,5})$/, 'host:port (port 0: a free one), or off')
    .default('127.0.0.1:0'),
  /** Whose X-Forwarded-Proto to believe (a session cookie is Secure behind a TLS proxy): true, or addresses/CIDRs. */
  API_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, 'true, false, or comma-separated addresses/CIDRs')
    .optional(),
  /** How long a dashboard sign-in lasts. */
  DASHBOARD_SESSION_TTL: duration.default('8h'),
  /** The Temporal Web UI, for links from the dashboard; npm start sets its dev server's. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  COHORTFLOW_TOKENS: jsonFromEnv(z.record(z.string().min(16), TokenGrant)).optional(),
  COHORTFLOW_APPROVERS: csv.optional(),
  APPROVAL_DEADLINE: duration.default('72h'),
  ROLLBACK_WATCH_WINDOW: duration.default('7d'),
  APPROVAL_REMINDERS: z
    .string()
    .default('24h,48h')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(duration)),
  STRATEGIC_APPROVALS: z.coerce.number().int().min(1).max(5).default(1),
  APPROVAL_POLICY_FILE: z.string().optional(),
  APPROVAL_OUTBOX_DIR: z.string().optional(),
  APPROVAL_NOTIFY_URL: z.string().url().optional(),
  APPROVAL_NOTIFY_SECRET: webhookSecret.optional(),
  /** Lets APPROVAL_NOTIFY_URL reach loopback, private, unique-local and CGNAT addresses. */
  APPROVAL_NOTIFY_ALLOW_PRIVATE_NETWORK: flag,
  COHORTFLOW_SOURCE_DIR: z.string().optional(),
  COHORTFLOW_CATALOG_DIR: z.string().optional(),
  /** YAML naming webhook, file and sql destinations (docs/destinations.md); unset: WEBHOOK_URL. */
  COHORTFLOW_DESTINATIONS_FILE: z.string().optional(),
  WEBHOOK_URL: z.string().url().optional(),
  WEBHOOK_SECRET: webhookSecret.optional(),
  /** The API's Ed25519 private key (PEM) that signs proofs of starts and decisions; `npm start` makes one. */
  DECISION_SIGNING_KEY_FILE: z.string().optional(),
  /** The workers' keyring: JSON { "<key id>": { "publicKey": "<base64url>", "notAfter"?: "<ISO time>" } }. */
  DECISION_VERIFY_KEYS: jsonFromEnv(KeyringDocument).optional(),
  /** Lets WEBHOOK_URL reach loopback, private, unique-local and CGNAT addresses. */
  WEBHOOK_ALLOW_PRIVATE_NETWORK: flag,
  /** Ed25519 private key (PEM) that signs audit checkpoints; never stored in the database. */
  AUDIT_SIGNING_KEY_FILE: z.string().optional(),
  /** Earlier public keys (PEM files, comma-separated) whose checkpoints still verify after a rotation. */
  AUDIT_PUBLIC_KEY_FILES: csv.optional(),
  /** Where signed checkpoints of the audit log's head are appended, outside the database. */
  AUDIT_CHECKPOINT_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = ReturnType<typeof buildConfig>;

/** Fastify's trustProxy: whom to believe about the client's address and protocol. */
function trustProxyOf(text: string | undefined): boolean | string {
  if (text === undefined || text === 'false') return false;
  return text === 'true' ? true : text;
}

function buildConfig(env: z.infer<typeof EnvSchema>, profile: TemporalProfile) {
  const home = path.resolve(env.COHORTFLOW_HOME);
  const dataDir = path.resolve(home, env.COHORTFLOW_DATA_DIR ?? '.data');
  const tokens = env.COHORTFLOW_TOKENS;
  const approvers =
    env.COHORTFLOW_APPROVERS ??
    Object.values(tokens ?? {})
      .filter((g) => g.roles.includes('approver'))
      .map((g) => g.user);
  return {
    home,
    dataDir,
    /** Unset: an embedded PostgreSQL with its cluster in dataDir/postgres. */
    databaseUrl: env.DATABASE_URL,
    embeddedPostgresPort: env.EMBEDDED_POSTGRES_PORT,
    temporal: {
      /** Unset (neither TEMPORAL_ADDRESS nor the profile names one): `npm start` runs the Temporal CLI's dev server. */
      address: profile.address,
      namespace: profile.namespace || 'default',
      /** TLS, API key and gRPC headers for `address` (secrets: never logged); the dev server gets none. */
      credentials: { tls: profile.tls, apiKey: profile.apiKey, metadata: profile.metadata },
      /** Where the connection settings came from: a profile and its file, or the environment. */
      source: profile.source,
      taskQueue: env.COHORTFLOW_TASK_QUEUE,
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
    },
    /** Unset: the worker exports no metrics. */
    workerMetricsAddress: env.WORKER_METRICS_ADDRESS === 'off' ? undefined : env.WORKER_METRICS_ADDRESS,
    api: { host: env.API_HOST, port: env.API_PORT, trustProxy: trustProxyOf(env.API_TRUST_PROXY) },
    dashboard: { sessionTtl: env.DASHBOARD_SESSION_TTL, temporalUiUrl: env.TEMPORAL_UI_URL },
    /** Unset: `npm start` makes demo tokens under dataDir (never in the repo). */
    tokens,
    approval: {
      approvers: [...new Set(approvers)],
      deadline: env.APPROVAL_DEADLINE,
      reminders: env.APPROVAL_REMINDERS,
      strategicApprovals: env.STRATEGIC_APPROVALS,
      /** Unset: the policy above (every approver for both tiers); see docs/approval-policy.md. */
      policyFile: env.APPROVAL_POLICY_FILE ? path.resolve(home, env.APPROVAL_POLICY_FILE) : undefined,
      outboxDir: path.resolve(home, env.APPROVAL_OUTBOX_DIR ?? path.join(dataDir, 'outbox')),
      notifyWebhook:
        env.APPROVAL_NOTIFY_URL && env.APPROVAL_NOTIFY_SECRET
          ? {
              url: env.APPROVAL_NOTIFY_URL,
              secret: env.APPROVAL_NOTIFY_SECRET,
              allowPrivateNetwork: env.APPROVAL_NOTIFY_ALLOW_PRIVATE_NETWORK,
            }
          : undefined,
    },
    /** How long a refresh run stays open after publish to take a rollback (docs/rollback.md). */
    rollback: { watchWindow: env.ROLLBACK_WATCH_WINDOW },
    sourceDir: path.resolve(home, env.COHORTFLOW_SOURCE_DIR ?? path.join(dataDir, 'sources')),
    catalogDir: path.resolve(home, env.COHORTFLOW_CATALOG_DIR ?? 'catalog'),
    destinationsFile: env.COHORTFLOW_DESTINATIONS_FILE
      ? path.resolve(home, env.COHORTFLOW_DESTINATIONS_FILE)
      : undefined,
    /** Who signs and who checks proofs of decisions (docs/security.md). */
    proofs: {
      /** Unset: `npm start` keeps one in dataDir; an `api` process refuses to start. */
      signingKeyFile: env.DECISION_SIGNING_KEY_FILE ? path.resolve(home, env.DECISION_SIGNING_KEY_FILE) : undefined,
      /** Unset: `npm start` trusts its own key; a `worker` process refuses to start. */
      verifyKeys: env.DECISION_VERIFY_KEYS,
    },
    webhook:
      env.WEBHOOK_URL && env.WEBHOOK_SECRET
        ? { url: env.WEBHOOK_URL, secret: env.WEBHOOK_SECRET, allowPrivateNetwork: env.WEBHOOK_ALLOW_PRIVATE_NETWORK }
        : undefined,
    /** The audit log's signed checkpoints (docs/audit-trail.md): key files and the checkpoint file, outside the database. */
    audit: {
      signingKeyFile: path.resolve(home, env.AUDIT_SIGNING_KEY_FILE ?? path.join(dataDir, 'audit-signing-key.pem')),
      publicKeyFiles: (env.AUDIT_PUBLIC_KEY_FILES ?? []).map((f) => path.resolve(home, f)),
      checkpointFile: path.resolve(home, env.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
    },
    logLevel: env.LOG_LEVEL,
  };
}

export class ConfigError extends Error {}

/** Parses the environment once; a bad value names the variable and what it should be. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const temporal = loadTemporalProfile(env);
  if (!parsed.success || 'problems' in temporal) {
    const lines = (parsed.error?.issues ?? []).map((i) => {
      const name = String(i.path[0]);
      const value = env[name];
      // Secrets are never echoed back, only named.
      const shown =
        value === undefined || /TOKENS|SECRET|PASSWORD|DATABASE_URL/.test(name)
          ? ''
          : ` (got ${JSON.stringify(value)})`;
      return `  ${i.path.join('.')}: ${i.message}${shown}`;
    });
    const profileProblems = 'problems' in temporal ? temporal.problems.map((p) => `  ${p}`) : [];
    throw new ConfigError(`invalid configuration:\n${[...lines, ...profileProblems].join('\n')}`);
  }
  if (parsed.data.WEBHOOK_URL && !parsed.data.WEBHOOK_SECRET) {
    throw new ConfigError('invalid configuration:\n  WEBHOOK_SECRET: required when WEBHOOK_URL is set');
  }
  if (parsed.data.APPROVAL_NOTIFY_URL && !parsed.data.APPROVAL_NOTIFY_SECRET) {
    throw new ConfigError('invalid configuration:\n  APPROVAL_NOTIFY_SECRET: required when APPROVAL_NOTIFY_URL is set');
  }
  return buildConfig(parsed.data, temporal.profile);
}
