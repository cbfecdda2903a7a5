import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverCohort } from '../../src/activities/publish';
import type { ActivityDeps } from '../../src/activities/deps';
import { loadConfig } from '../../src/config';
import { configuredDestinations } from '../../src/destinations/configured';
import type { Destination } from '../../src/destinations/destination';
import { parseDestinations } from '../../src/destinations/destinations-file';
import { assertSafeUrl, type HostLookup } from '../../src/destinations/network-guard';
import { outboundHttp, type OutboundHttp } from '../../src/destinations/outbound-http';
import { createLogger } from '../../src/log';
import { noticeChannels, type ApprovalNotice } from '../../src/notifications/approval-notices';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// An attacker who may edit a destination (or whose DNS a destination names) tries to make
// cohortflow post to the machine it runs on or to a private network. Every attempt below is
// played against a real HTTP receiver listening on 127.0.0.1, which must receive nothing.

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const PUBLIC = '93.184.216.34';
let test: TestDatabase;
let runs = 0;

/** DNS as the attacker runs it: a public answer while configuration is checked, then 127.0.0.1. */
function rebindingDns(name: string): HostLookup & { asked: number } {
  const lookup = Object.assign(
    async (host: string) => {
      if (host !== name) throw new Error(`unexpected lookup of ${host}`);
      lookup.asked += 1;
      return lookup.asked === 1 ? [PUBLIC] : ['127.0.0.1'];
    },
    { asked: 0 },
  );
  return lookup;
}

async function publishVersion(cohortId: string): Promise<string> {
  const runId = `run-ssrf-${++runs}`;
  await registerRun(test.db, runId, '2026-06-01T00:00:00Z');
  await recordVersion(test.db, cohortId, 1, {}, { author: 'dana' });
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId,
      cohortId,
      version: 1,
      asOf: '2026-06-01T00:00:00Z',
      customerIds: customerIds('s', 1, 3),
    }),
  );
  return runId;
}

const deliver = (destinations: Destination[], http: OutboundHttp, runId: string, cohortId: string) => {
  const deps: ActivityDeps = {
    db: test.db,
    log: createLogger('silent'),
    sourceDir: '',
    catalogDir: '',
    destinations,
    http,
  };
  return new MockActivityEnvironment().run(deliverCohort, deps, { runId, cohortId });
};

const destinationsFile = (url: string, extra = '') =>
  `destinations:\n  - name: crm\n    kind: webhook\n    purpose: product\n    url: ${url}\n    secretsEnv: [CRM_SECRET]\n${extra}`;

beforeAll(async () => {
  test = await freshDatabase('ssrf');
  for (const id of customerIds('s', 1, 3)) await addCustomer(test.db, id, { plan: 'pro' });
});
afterAll(() => test.drop());

describe('a name that resolves to a public address when checked and to 127.0.0.1 when connecting', () => {
  it('passes the check at load, then is refused at connect: the local receiver gets nothing', async () => {
    const receiver = await startDeliveryReceiver(SECRET);
    const port = new URL(receiver.url).port;
    const dns = rebindingDns('hooks.rebind.test');
    const http = outboundHttp({ lookup: dns });
    try {
      const url = `http://hooks.rebind.test:${port}/cohorts`;
      const destinations = await parseDestinations(
        'destinations.yaml',
        destinationsFile(url),
        { CRM_SECRET: SECRET },
        dns,
      );
      expect(dns.asked).toBe(1); // the load-time check saw the public address and let it through

      const failure = (await deliver(destinations, http, await publishVersion('rebind'), 'rebind').catch(
        (e: unknown) => e,
      )) as ApplicationFailure;
      expect(failure).toMatchObject({ type: 'UnsafeDestinationUrl', nonRetryable: true });
      expect(failure.message).toMatch(
        /refused to connect to hooks\.rebind\.test: it resolved to 127\.0\.0\.1 \(loopback, not a public address\) when connecting/,
      );
      expect(dns.asked).toBe(2);
      expect(receiver.requests).toEqual([]);
    } finally {
      await http.close();
      await receiver.close();
    }
  });

  it('reaches the same receiver through the same name when the destination allows a private network', async () => {
    const receiver = await startDeliveryReceiver(SECRET);
    const port = new URL(receiver.url).port;
    const dns = rebindingDns('hooks.rebind.test');
    const http = outboundHttp({ lookup: dns });
    try {
      const url = `http://hooks.rebind.test:${port}/cohorts`;
      const destinations = await parseDestinations(
        'destinations.yaml',
        destinationsFile(url, '    allowPrivateNetwork: true\n'),
        { CRM_SECRET: SECRET },
        dns,
      );
      await deliver(destinations, http, await publishVersion('rebind-allowed'), 'rebind-allowed');
      expect(receiver.adds()).toEqual(customerIds('s', 1, 3));
    } finally {
      await http.close();
      await receiver.close();
    }
  });
});

// The addresses the issue found let through, each a way to the host, its network or a
// translation of one: IPv4-compatible and NAT64 forms of 127.0.0.1 and 169.254.169.254, 6to4,
// deprecated site-local, discard-only, benchmarking, IETF protocol assignments, documentation.
const LITERALS = [
  ['[::7f00:1]', /ipv4Compatible, carrying 127\.0\.0\.1/],
  ['[::a9fe:a9fe]', /ipv4Compatible, carrying 169\.254\.169\.254/],
  ['[64:ff9b::7f00:1]', /rfc6052, carrying 127\.0\.0\.1 \(loopback/],
  ['[2002:7f00:1::]', /6to4, carrying 127\.0\.0\.1/],
  ['[fec0::1]', /deprecatedSiteLocal/],
  ['[100::1]', /discard/],
  ['198.18.0.1', /reserved/],
  ['192.0.0.1', /reserved/],
  ['192.0.2.1', /reserved/],
  ['[::ffff:127.0.0.1]', /ipv4Mapped, carrying 127\.0\.0\.1/],
  ['[::1]', /loopback/],
  ['169.254.169.254', /linkLocal/],
] as const;

describe('address literals that reach non-public networks', () => {
  let receiver: Awaited<ReturnType<typeof startDeliveryReceiver>>;
  const http = outboundHttp();
  beforeAll(async () => {
    receiver = await startDeliveryReceiver(SECRET);
  });
  afterAll(async () => {
    await http.close();
    await receiver.close();
  });

  it.each(LITERALS)('refuses %s when configured and when connecting', async (host, range) => {
    const url = `http://${host}:${new URL(receiver.url).port}/cohorts`;
    await expect(assertSafeUrl('crm', url, false)).rejects.toThrow(range);
    await expect(
      http.post({ target: 'crm', url, headers: {}, body: '{}', timeoutMs: 2_000, allowPrivateNetwork: false }),
    ).rejects.toThrow(range);
    expect(receiver.requests).toEqual([]);
  });

  it.each(LITERALS.map(([host, range]) => [host.replace(/^\[|\]$/g, ''), range] as const))(
    'refuses a name whose DNS answer is %s, at connect',
    async (address, range) => {
      const named = outboundHttp({ lookup: async () => [address] });
      try {
        await expect(
          named.post({
            target: 'crm',
            url: `http://receiver.attacker.test:${new URL(receiver.url).port}/cohorts`,
            headers: {},
            body: '{}',
            timeoutMs: 2_000,
            allowPrivateNetwork: false,
          }),
        ).rejects.toThrow(range);
      } finally {
        await named.close();
      }
      expect(receiver.requests).toEqual([]);
    },
  );

  it('keeps link-local (cloud metadata) refused even for a destination allowed onto a private network', async () => {
    await expect(
      http.post({
        target: 'crm',
        url: 'http://169.254.169.254/latest/meta-data/',
        headers: {},
        body: '{}',
        timeoutMs: 2_000,
        allowPrivateNetwork: true,
      }),
    ).rejects.toThrow(/169\.254\.169\.254 \(linkLocal, nor a private network address\)/);
  });
});

describe('URLs from the environment', () => {
  const notice: ApprovalNotice = {
    id: 'ntf_ssrf',
    runId: 'refresh-ssrf',
    event: 'opened',
    reminder: 0,
    approvers: ['bob'],
    deadline: '2026-06-04T00:00:00Z',
    requestedBy: 'alice',
    rationale: 'an attempt to reach the host',
    waiting: [],
  };

  /** A receiver on 127.0.0.1 counting what reaches it. */
  async function localReceiver() {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits += 1;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notices`,
      hits: () => hits,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('refuses an APPROVAL_NOTIFY_URL on loopback: approval notices reach nothing there', async () => {
    const receiver = await localReceiver();
    try {
      const config = loadConfig({ APPROVAL_NOTIFY_URL: receiver.url, APPROVAL_NOTIFY_SECRET: SECRET });
      const webhook = noticeChannels(config.approval)[1]!;
      await expect(webhook.send(notice)).rejects.toThrow(
        /approval notice webhook: refused to connect to 127\.0\.0\.1 \(loopback, not a public address\)/,
      );
      expect(receiver.hits()).toBe(0);

      const allowed = loadConfig({
        APPROVAL_NOTIFY_URL: receiver.url,
        APPROVAL_NOTIFY_SECRET: SECRET,
        APPROVAL_NOTIFY_ALLOW_PRIVATE_NETWORK: 'true',
      });
      await noticeChannels(allowed.approval)[1]!.send(notice);
      expect(receiver.hits()).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a WEBHOOK_URL on loopback at start unless WEBHOOK_ALLOW_PRIVATE_NETWORK is true', async () => {
    const env = {
      WEBHOOK_URL: 'http://127.0.0.1:9/hook',
      WEBHOOK_SECRET: SECRET,
      COHORTFLOW_CATALOG_DIR: '/nonexistent',
    };
    await expect(configuredDestinations(loadConfig(env))).rejects.toThrow(
      /webhook \(WEBHOOK_URL\): refused http:\/\/127\.0\.0\.1:9\/hook: 127\.0\.0\.1 \(loopback, not a public address\)/,
    );
    const allowed = await configuredDestinations(loadConfig({ ...env, WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true' }));
    expect(allowed).toEqual([expect.objectContaining({ name: 'webhook', allowPrivateNetwork: true })]);
  });
});
