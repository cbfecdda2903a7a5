import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverCohort } from '../../src/activities/publish';
import type { Destination } from '../../src/destinations/destination';
import { parseDestinations, unknownDestinations } from '../../src/destinations/destinations-file';
import { loadCatalog } from '../../src/cohorts/catalog';
import { createLogger } from '../../src/log';
import { testApi, type TestApi } from '../support/api';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const TOKENS = {
  'viewer-token-0123456789': { user: 'vera', roles: ['viewer' as const] },
  'operator-token-012345678': { user: 'olivia', roles: ['operator' as const] },
};
let test: TestDatabase;
let api: TestApi;
let receiver: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let destinations: Destination[];

const call = (method: 'GET' | 'POST', route: string, token: string, body?: unknown) =>
  api.call(method, route, token, body);

beforeAll(async () => {
  test = await freshDatabase('deliveries_api');
  for (const id of customerIds('c', 1, 6)) await addCustomer(test.db, id, { consent_marketing: true });
  receiver = await startDeliveryReceiver(SECRET);
  destinations = await parseDestinations(
    'destinations.yaml',
    `destinations:\n  - name: crm\n    kind: webhook\n    purpose: marketing\n    url: ${receiver.url}\n    secretsEnv: [CRM_SECRET]\n    allowPrivateNetwork: true\n`,
    { CRM_SECRET: SECRET },
  );
  api = await testApi({ db: test.db, catalogDir: '' }, TOKENS, destinations);
  await registerRun(test.db, 'run-1', '2026-06-01T00:00:00Z');
  await recordVersion(test.db, 'loyal', 1, { destinations: ['crm'] }, { author: 'dana' });
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId: 'run-1',
      cohortId: 'loyal',
      version: 1,
      asOf: '2026-06-01T00:00:00Z',
      customerIds: customerIds('c', 1, 4),
    }),
  );
  await new MockActivityEnvironment().run(
    deliverCohort,
    { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations },
    { runId: 'run-1', cohortId: 'loyal' },
  );
});
afterAll(async () => {
  await api.close();
  await receiver.close();
  await test.drop();
});

describe('delivery status and reconcile over HTTP', () => {
  it('shows a viewer each cohort × destination with its batches, cursor and suppressed count', async () => {
    const status = await call('GET', '/runs/run-1/deliveries', 'viewer-token-0123456789');
    expect(status.status).toBe(200);
    expect(status.body.deliveries).toEqual([
      expect.objectContaining({
        cohortId: 'loyal',
        version: 1,
        destination: 'crm',
        status: 'acknowledged',
        fromVersion: null,
        adds: 4,
        suppressed: 0,
        cursor: expect.objectContaining({ version: 1 }),
        batches: [expect.objectContaining({ batch: 1, status: 'acknowledged', attempts: 1 })],
      }),
    ]);
    expect(status.body.disabledDestinations).toEqual([]);
  });

  it('lets an operator, not a viewer, reconcile: consent withdrawn since is sent as a remove', async () => {
    expect((await call('POST', '/cohorts/loyal/reconcile', 'viewer-token-0123456789', {})).status).toBe(403);
    await test.db.query("UPDATE customers SET consent_marketing = false WHERE customer_id = 'c002'");
    const reconciled = await call('POST', '/cohorts/loyal/reconcile', 'operator-token-012345678', {
      destination: 'crm',
    });
    expect(reconciled.status).toBe(200);
    expect(reconciled.body.deliveries).toEqual([
      expect.objectContaining({ destination: 'crm', adds: 0, removes: 1, suppressed: 1, delivered: true }),
    ]);
    expect(receiver.removes()).toEqual(['c002']);
    expect(receiver.adds()).toHaveLength(4); // nothing acknowledged was sent twice
  });

  it('refuses to reconcile an unknown destination, naming the configured ones', async () => {
    const refused = await call('POST', '/cohorts/loyal/reconcile', 'operator-token-012345678', {
      destination: 'nowhere',
    });
    expect(refused.status).toBe(404);
    expect(refused.body.message).toMatch(/no destination "nowhere"; configured: crm/);
  });
});

describe('the destinations file', () => {
  it('names file:line, the path and the bad value for every problem', async () => {
    const text =
      'destinations:\n  - name: crm\n    kind: webhook\n    purpose: marketing\n    url: file:///etc/passwd\n    secretsEnv: [MISSING_SECRET]\n  - name: lake\n    kind: file\n    purpose: product\n    folder: /tmp/x\n    fields: [customer_id, email]\n    formats: [xml]\n';
    const problems = await parseDestinations('dest.yaml', text, {}).catch((e: { problems: string[] }) => e.problems);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^dest\.yaml:12: destinations\.1\.formats\.0: .*\(got "xml"\)/)]),
    );
    const second = await parseDestinations(
      'dest.yaml',
      text.replace('    formats: [xml]\n', '').replace(', email]', ']'),
      {},
    ).catch((e: { problems: string[] }) => e.problems);
    expect(second).toEqual([
      expect.stringMatching(
        /^dest\.yaml:6: destinations\.0\.secretsEnv\.0: environment variable MISSING_SECRET must hold a whsec_ secret/,
      ),
      expect.stringMatching(/^dest\.yaml:5: destinations\.0\.url: .*only http and https/),
    ]);
  });

  it('accepts the example file, whose names cover every cohort in the catalog', async () => {
    const env = {
      CRM_WEBHOOK_SECRET: SECRET,
      CRM_WEBHOOK_SECRET_PREVIOUS: SECRET,
      MAIL_WEBHOOK_SECRET: SECRET,
      SUPPORT_WEBHOOK_SECRET: SECRET,
    };
    const publicDns = async () => ['93.184.216.34'];
    const example = await parseDestinations(
      'examples/destinations.yaml',
      await fs.readFile('examples/destinations.yaml', 'utf8'),
      env,
      publicDns,
    );
    expect(example).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'warehouse', kind: 'sql' })]));
    const catalog = await loadCatalog('catalog');
    expect(
      unknownDestinations(
        catalog.map((e) => ({ id: e.definition.id, destinations: e.definition.destinations })),
        example,
      ),
    ).toEqual([]);
  });

  it('refuses at load a host whose DNS answer includes a private address', async () => {
    const text =
      'destinations:\n  - name: crm\n    kind: webhook\n    purpose: sales\n    url: https://crm.example.com/hook\n    secretsEnv: [S]\n';
    await expect(
      parseDestinations('d.yaml', text, { S: SECRET }, async () => ['93.184.216.34', '10.0.0.7']),
    ).rejects.toThrow(/d\.yaml:5: destinations\.0\.url: .*crm\.example\.com resolves to 10\.0\.0\.7/);
  });

  it('allows raw email only with allowRawEmail: true', async () => {
    const text = 'destinations:\n  - name: lake\n    kind: sql\n    purpose: sales\n    fields: [customer_id, email]\n';
    await expect(parseDestinations('d.yaml', text)).rejects.toThrow(
      /d\.yaml:5: destinations\.0\.fields: email \(raw\) needs allowRawEmail: true/,
    );
    await expect(
      parseDestinations('d.yaml', text.replace('fields:', 'allowRawEmail: true\n    fields:')),
    ).resolves.toEqual([expect.objectContaining({ fields: ['customer_id', 'email'] })]);
  });
});
