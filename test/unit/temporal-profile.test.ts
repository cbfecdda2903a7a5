import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { connectionOptions } from '../../src/temporal/connection';

// Temporal connection settings come from Temporal's own client configuration: TEMPORAL_* variables
// and the profiles of a temporal.toml file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE).

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-temporal-profile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nclient\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
for (const [name, text] of Object.entries({ 'client.pem': CERT, 'client.key': KEY, 'ca.pem': CA }))
  fs.writeFileSync(path.join(dir, name), text);

let fileNo = 0;
function configFile(toml: string): string {
  fileNo += 1;
  const file = path.join(dir, `temporal-${fileNo}.toml`);
  fs.writeFileSync(file, toml);
  return file;
}

const PROFILES = `
[profile.default]
address = "localhost:7233"

[profile.cloud]
address = "billing.a1b2c.tmprl.cloud:7233"
namespace = "billing.a1b2c"
api_key = "key-from-the-profile"

[profile.mtls]
address = "temporal.internal.example:7233"
namespace = "cohorts"

[profile.mtls.tls]
client_cert_path = "${path.join(dir, 'client.pem')}"
client_key_path = "${path.join(dir, 'client.key')}"
server_ca_cert_path = "${path.join(dir, 'ca.pem')}"
server_name = "frontend.temporal.internal"

[profile.mtls.grpc_meta]
x-tenant = "cohortflow"
`;

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('connecting to Temporal from a profile', () => {
  it('turns an mTLS profile into the address, namespace, certificates and headers of the connection', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: configFile(PROFILES), TEMPORAL_PROFILE: 'mtls' });

    expect(config.temporal.namespace).toBe('cohorts');
    expect(connectionOptions(config.temporal)).toEqual({
      address: 'temporal.internal.example:7233',
      tls: {
        serverNameOverride: 'frontend.temporal.internal',
        serverRootCACertificate: bytes(CA),
        clientCertPair: { crt: bytes(CERT), key: bytes(KEY) },
      },
      metadata: { 'x-tenant': 'cohortflow' },
    });
  });

  it('connects with an API key over TLS, as Temporal Cloud expects', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: configFile(PROFILES), TEMPORAL_PROFILE: 'cloud' });

    expect(config.temporal.namespace).toBe('billing.a1b2c');
    expect(connectionOptions(config.temporal)).toEqual({
      address: 'billing.a1b2c.tmprl.cloud:7233',
      apiKey: 'key-from-the-profile',
      tls: true,
    });
  });

  it('lets TEMPORAL_* variables override the profile they select', () => {
    const config = loadConfig({
      TEMPORAL_CONFIG_FILE: configFile(PROFILES),
      TEMPORAL_PROFILE: 'cloud',
      TEMPORAL_NAMESPACE: 'billing-staging.a1b2c',
      TEMPORAL_API_KEY: 'key-from-the-environment',
    });

    expect(config.temporal.namespace).toBe('billing-staging.a1b2c');
    expect(connectionOptions(config.temporal)).toMatchObject({ apiKey: 'key-from-the-environment', tls: true });
  });

  it('reads the default profile of the file when no profile is named', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: configFile(PROFILES) });
    expect(connectionOptions(config.temporal)).toEqual({ address: 'localhost:7233' });
  });

  it('builds TLS from the environment alone, without a file', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal.example:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
    });
    expect(connectionOptions(config.temporal)).toEqual({
      address: 'temporal.internal.example:7233',
      tls: { clientCertPair: { crt: bytes(CERT), key: bytes(KEY) } },
    });
  });

  it('has no server without an address anywhere, so npm start runs the dev server with a plain connection', () => {
    const config = loadConfig({ TEMPORAL_API_KEY: 'a-key-with-no-server', TEMPORAL_PORT: '7300' });

    expect(config.temporal.address).toBeUndefined();
    expect(connectionOptions(config.temporal)).toEqual({ address: '127.0.0.1:7300' });
    expect(connectionOptions(config.temporal, '127.0.0.1:7400')).toEqual({ address: '127.0.0.1:7400' });
  });
});

describe('a bad Temporal profile stops the start with what and where', () => {
  it('names the missing profile and the profiles the file has', () => {
    const file = configFile(PROFILES);
    expect(configError({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toContain(
      `TEMPORAL_PROFILE: no profile "prod" in TEMPORAL_CONFIG_FILE (${file}); it has "default", "cloud", "mtls"`,
    );
  });

  it('gives the line of a file that is not TOML', () => {
    const file = configFile('[profile.default]\naddress = "localhost:7233\n');
    expect(configError({ TEMPORAL_CONFIG_FILE: file })).toMatch(
      new RegExp(`TEMPORAL_CONFIG_FILE \\(${file}\\): line 2, column \\d+: not valid TOML`),
    );
  });

  it('names a misspelt key instead of connecting without it', () => {
    const file = configFile('[profile.cloud]\naddress = "billing.a1b2c.tmprl.cloud:7233"\napi-key = "secret-value"\n');
    const message = configError({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(message).toContain('key(s) unrecognized in profile.cloud: api-key');
    expect(message).not.toContain('secret-value');
  });

  it('names a certificate file it cannot read', () => {
    const file = configFile(PROFILES.replace(path.join(dir, 'ca.pem'), path.join(dir, 'missing-ca.pem')));
    expect(configError({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' })).toContain(
      `tls.server_ca_cert_path (TEMPORAL_TLS_SERVER_CA_CERT_PATH or profile "mtls" of ${file}): cannot read ${path.join(dir, 'missing-ca.pem')} (ENOENT)`,
    );
  });

  it('refuses a client certificate without its key', () => {
    const message = configError({
      TEMPORAL_ADDRESS: 'temporal.internal.example:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
    });
    expect(message).toContain('client_cert without client_key; mTLS needs both');
  });

  it('refuses an address without a port, naming TEMPORAL_ADDRESS', () => {
    expect(configError({ TEMPORAL_ADDRESS: 'https://temporal.example.com' })).toContain(
      'TEMPORAL_ADDRESS: a host:port such as temporal.example.com:7233 (got "https://temporal.example.com")',
    );
  });

  it('refuses an empty API key rather than switching TLS on without one', () => {
    expect(configError({ TEMPORAL_ADDRESS: 'temporal.internal.example:7233', TEMPORAL_API_KEY: '' })).toContain(
      'TEMPORAL_API_KEY (or api_key in the TEMPORAL_* environment): empty',
    );
  });

  it('refuses a config file that is not there', () => {
    expect(configError({ TEMPORAL_CONFIG_FILE: path.join(dir, 'nowhere.toml') })).toContain(
      `TEMPORAL_CONFIG_FILE: no file at ${path.join(dir, 'nowhere.toml')}`,
    );
  });

  it('refuses a named profile when there is no file to hold it', () => {
    expect(configError({ TEMPORAL_PROFILE: 'cloud', HOME: dir })).toContain(
      'TEMPORAL_PROFILE: profile "cloud" asked for, but there is no Temporal config file',
    );
  });
});
