import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import {
  loadClientConfig,
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';

// How to reach a Temporal server that is not the local dev server: Temporal's own client
// configuration (the TEMPORAL_* variables and the profiles of a temporal.toml file, as the
// Temporal CLI and every SDK read them), checked here so a bad profile stops the process at
// start with the file, the profile and the key named, not at the first call with a gRPC error.

/** The server, namespace and credentials a profile gives; secrets stay in here, never in a log line. */
export interface TemporalProfile {
  /** Unset: no server configured; `npm start` runs the dev server. */
  address?: string;
  namespace?: string;
  /** Sent as a bearer token (Temporal Cloud API keys); implies TLS unless TLS is disabled. */
  apiKey?: string;
  tls?: TLSConfig | boolean;
  /** gRPC headers from the profile's grpc_meta or TEMPORAL_GRPC_META_*. */
  metadata?: Record<string, string>;
  /** Where the settings came from, for messages: the profile and file, or the environment. */
  source: string;
}

type Env = Record<string, string | undefined>;

/** The file Temporal's tools read when TEMPORAL_CONFIG_FILE is unset (the user's config folder). */
export function defaultConfigFile(env: Env, platform = os.platform()): string | undefined {
  if (platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (platform === 'darwin')
    return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  const dir = base ?? (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/;

/**
 * Loads the profile named by TEMPORAL_PROFILE (else `default`) from TEMPORAL_CONFIG_FILE (else
 * the default file, when it exists), with TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS* and TEMPORAL_GRPC_META_* over it. Returns the problems instead when it is bad.
 */
export function loadTemporalProfile(env: Env): { profile: TemporalProfile } | { problems: string[] } {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const explicit = env.TEMPORAL_CONFIG_FILE;
  const file = explicit ?? defaultConfigFile(env);
  const named = env.TEMPORAL_PROFILE;
  const fileLabel = explicit ? `TEMPORAL_CONFIG_FILE (${explicit})` : `${file}`;
  if (explicit && !fs.existsSync(explicit)) return { problems: [`TEMPORAL_CONFIG_FILE: no file at ${explicit}`] };
  const useFile = file !== undefined && fs.existsSync(file);
  if (named && !useFile)
    return {
      problems: [
        `TEMPORAL_PROFILE: profile "${named}" asked for, but there is no Temporal config file (set TEMPORAL_CONFIG_FILE, or create ${file ?? 'temporalio/temporal.toml in your config folder'})`,
      ],
    };

  let loaded: ClientConfigProfile;
  try {
    loaded = useFile
      ? loadClientConfigProfile({ configSource: { path: file }, configFileStrict: true, overrideEnvVars: vars })
      : loadClientConfigProfile({ disableFile: true, overrideEnvVars: vars });
  } catch (err) {
    return { problems: [profileProblem(err as Error, fileLabel, file!, named)] };
  }
  const source = useFile ? `profile "${named ?? 'default'}" of ${file}` : 'the TEMPORAL_* environment';
  const problems = [...addressProblems(loaded, env, source), ...tlsProblems(loaded, source)];
  if (problems.length > 0) return { problems };

  const { connectionOptions, namespace } = toClientOptions(loaded);
  return {
    profile: {
      ...(loaded.address ? { address: loaded.address } : {}),
      ...(namespace ? { namespace } : {}),
      ...(connectionOptions.apiKey ? { apiKey: connectionOptions.apiKey } : {}),
      ...(connectionOptions.tls !== undefined && connectionOptions.tls !== null ? { tls: connectionOptions.tls } : {}),
      ...(connectionOptions.metadata ? { metadata: connectionOptions.metadata as Record<string, string> } : {}),
      source,
    },
  };
}

function profileProblem(err: Error, fileLabel: string, file: string, named: string | undefined): string {
  if (/^Profile '.*' not found/.test(err.message)) {
    let known: string[] = [];
    try {
      known = Object.keys(loadClientConfig({ configSource: { path: file } }).profiles);
    } catch {
      // The file parsed a moment ago; if it no longer does, the profile list is all we lose.
    }
    return `TEMPORAL_PROFILE: no profile "${named}" in ${fileLabel}; it has ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no profiles'}`;
  }
  const at = err as Error & { line?: unknown; column?: unknown };
  if (typeof at.line === 'number') {
    const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return `${fileLabel}: line ${at.line}, column ${String(at.column)}: not valid TOML: ${what}`;
  }
  if (err.message.startsWith('Validation error: '))
    return `${fileLabel}: ${err.message.slice('Validation error: '.length)}`;
  return `${fileLabel}: cannot be read: ${err.message}`;
}

function addressProblems(p: ClientConfigProfile, env: Env, source: string): string[] {
  const problems: string[] = [];
  if (p.address !== undefined && !HOST_PORT.test(p.address)) {
    const where = env.TEMPORAL_ADDRESS !== undefined ? 'TEMPORAL_ADDRESS' : `address in ${source}`;
    problems.push(`${where}: a host:port such as temporal.example.com:7233 (got ${JSON.stringify(p.address)})`);
  }
  // An empty key would still switch TLS on; leave the variable unset instead.
  if (p.apiKey === '') problems.push(`TEMPORAL_API_KEY (or api_key in ${source}): empty; unset it or give the key`);
  return problems;
}

/** Certificate files must be readable now, and a client certificate comes with its key (mTLS needs both). */
function tlsProblems(p: ClientConfigProfile, source: string): string[] {
  const tls = p.tls;
  if (!tls || tls.disabled) return [];
  const problems: string[] = [];
  const parts: Array<[string, ConfigDataSource | undefined, string]> = [
    ['client_cert', tls.clientCert, 'TEMPORAL_TLS_CLIENT_CERT'],
    ['client_key', tls.clientKey, 'TEMPORAL_TLS_CLIENT_KEY'],
    ['server_ca_cert', tls.serverCACert, 'TEMPORAL_TLS_SERVER_CA_CERT'],
  ];
  for (const [key, data, variable] of parts) {
    if (!data || !('path' in data)) continue;
    try {
      fs.accessSync(data.path, fs.constants.R_OK);
    } catch (err) {
      problems.push(
        `tls.${key}_path (${variable}_PATH or ${source}): cannot read ${data.path} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (Boolean(tls.clientCert) !== Boolean(tls.clientKey))
    problems.push(
      `tls in ${source}: ${tls.clientCert ? 'client_cert without client_key' : 'client_key without client_cert'}; mTLS needs both`,
    );
  return problems;
}
