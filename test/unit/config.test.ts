import { ConfigError, loadConfig } from '../../src/config';

const TOKENS = {
  'operator-token-0000000001': { user: 'olivia', roles: ['viewer', 'operator'] },
  'approver-token-0000000001': { user: 'adam', roles: ['viewer', 'approver'] },
  'approver-token-0000000002': { user: 'beth', roles: ['approver'] },
  'approver-token-0000000003': { user: 'adam', roles: ['approver'] },
};
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The ConfigError loadConfig throws for this environment. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loading the configuration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({ COHORTFLOW_HOME: '/srv/cohortflow' });

    expect(config).toMatchObject({
      dataDir: '/srv/cohortflow/.data',
      api: { host: '127.0.0.1', port: 3000 },
      temporal: { namespace: 'default', taskQueue: 'cohortflow', port: 7233, uiPort: 8233 },
      approval: { approvers: [], deadline: '72h' },
      sourceDir: '/srv/cohortflow/.data/sources',
      catalogDir: '/srv/cohortflow/catalog',
      webhook: undefined,
      logLevel: 'info',
    });
  });

  it('reads a numeric port', () => {
    expect(loadConfig({ API_PORT: '8080' }).api.port).toBe(8080);
  });

  it('rejects a port that is not a number, naming API_PORT', () => {
    expect(configError({ API_PORT: 'abc' }).message).toMatch(/API_PORT: /);
  });

  it('rejects tokens that are not JSON, naming COHORTFLOW_TOKENS', () => {
    expect(configError({ COHORTFLOW_TOKENS: '{olivia: viewer}' }).message).toMatch(/COHORTFLOW_TOKENS: not valid JSON/);
  });

  it('rejects a token shorter than 16 characters, naming COHORTFLOW_TOKENS', () => {
    expect(
      configError({ COHORTFLOW_TOKENS: JSON.stringify({ short: { user: 'x', roles: ['viewer'] } }) }).message,
    ).toMatch(/COHORTFLOW_TOKENS/);
  });

  it('rejects a token with an unknown role, naming COHORTFLOW_TOKENS', () => {
    expect(
      configError({
        COHORTFLOW_TOKENS: JSON.stringify({ 'a-long-enough-token-01': { user: 'x', roles: ['superuser'] } }),
      }).message,
    ).toMatch(/COHORTFLOW_TOKENS/);
  });

  it('rejects WEBHOOK_URL without WEBHOOK_SECRET, naming WEBHOOK_SECRET', () => {
    expect(configError({ WEBHOOK_URL: 'https://hooks.example.com/cohortflow' }).message).toMatch(
      /WEBHOOK_SECRET: required when WEBHOOK_URL is set/,
    );
  });

  it('rejects a webhook secret that is not a Standard Webhooks key, naming WEBHOOK_SECRET', () => {
    expect(
      configError({ WEBHOOK_URL: 'https://hooks.example.com/cohortflow', WEBHOOK_SECRET: 'hunter2' }).message,
    ).toMatch(/WEBHOOK_SECRET: /);
  });

  it('configures the webhook when both URL and secret are given', () => {
    expect(loadConfig({ WEBHOOK_URL: 'https://hooks.example.com/cohortflow', WEBHOOK_SECRET: SECRET }).webhook).toEqual(
      { url: 'https://hooks.example.com/cohortflow', secret: SECRET, allowPrivateNetwork: false },
    );
  });

  it('lets WEBHOOK_URL reach a private network only when WEBHOOK_ALLOW_PRIVATE_NETWORK is true', () => {
    const env = { WEBHOOK_URL: 'http://10.0.0.7/hook', WEBHOOK_SECRET: SECRET };
    expect(loadConfig({ ...env, WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true' }).webhook?.allowPrivateNetwork).toBe(true);
    expect(configError({ ...env, WEBHOOK_ALLOW_PRIVATE_NETWORK: 'yes' }).message).toMatch(
      /WEBHOOK_ALLOW_PRIVATE_NETWORK: true or false \(got "yes"\)/,
    );
  });

  it('keeps the audit signing key and the checkpoint file under the data folder unless told otherwise', () => {
    expect(loadConfig({ COHORTFLOW_HOME: '/srv/cohortflow' }).audit).toEqual({
      signingKeyFile: '/srv/cohortflow/.data/audit-signing-key.pem',
      publicKeyFiles: [],
      checkpointFile: '/srv/cohortflow/.data/audit-checkpoints.jsonl',
    });
    expect(
      loadConfig({
        COHORTFLOW_HOME: '/srv/cohortflow',
        AUDIT_SIGNING_KEY_FILE: '/run/secrets/audit.pem',
        AUDIT_PUBLIC_KEY_FILES: 'keys/2025.pub, keys/2026.pub',
        AUDIT_CHECKPOINT_FILE: '/var/lib/audit/checkpoints.jsonl',
      }).audit,
    ).toEqual({
      signingKeyFile: '/run/secrets/audit.pem',
      publicKeyFiles: ['/srv/cohortflow/keys/2025.pub', '/srv/cohortflow/keys/2026.pub'],
      checkpointFile: '/var/lib/audit/checkpoints.jsonl',
    });
  });

  it('rejects an approval deadline that is not a duration, naming APPROVAL_DEADLINE', () => {
    expect(configError({ APPROVAL_DEADLINE: 'three days' }).message).toMatch(/APPROVAL_DEADLINE: /);
  });

  it('lists every bad variable in one error', () => {
    const message = configError({ API_PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url' }).message;

    expect(message).toMatch(/API_PORT/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).toMatch(/DATABASE_URL/);
  });
});

describe('the approvers', () => {
  it('are the users whose tokens carry the approver role, each once', () => {
    expect(loadConfig({ COHORTFLOW_TOKENS: JSON.stringify(TOKENS) }).approval.approvers.sort()).toEqual([
      'adam',
      'beth',
    ]);
  });

  it('are COHORTFLOW_APPROVERS when it is set, overriding the tokens', () => {
    expect(
      loadConfig({ COHORTFLOW_TOKENS: JSON.stringify(TOKENS), COHORTFLOW_APPROVERS: ' beth , carol,' }).approval
        .approvers,
    ).toEqual(['beth', 'carol']);
  });
});
