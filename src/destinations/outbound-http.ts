import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import {
  outboundUrl,
  refusedAddress,
  systemLookup,
  UnsafeDestinationUrl,
  type HostLookup,
  type NetworkPolicy,
} from './network-guard';

// Every HTTP request cohortflow sends out (webhook deliveries, erasure removes, approval
// notices) goes through here. The address check sits in the socket's own DNS lookup, so the
// address checked is the address connected to: a name that answers with a public address when
// configuration is loaded and with 127.0.0.1 a moment later is refused when it connects.

export interface OutboundRequest {
  /** Names the target in errors: a destination, or the approval notice webhook. */
  target: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivateNetwork: boolean;
}

export interface OutboundAnswer {
  status: number;
  header(name: string): string | undefined;
}

export interface OutboundHttp {
  /** POSTs the body; redirects are not followed (a redirect could lead past the checks). */
  post(req: OutboundRequest): Promise<OutboundAnswer>;
  close(): Promise<void>;
}

/** A net.connect lookup that resolves with `resolve` and refuses the connection if any address is not allowed. */
function guardedLookup(resolve: HostLookup, policy: NetworkPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.map((a) => refusedAddress(a, policy)).find(Boolean);
        if (refused || addresses.length === 0) {
          const err = new UnsafeDestinationUrl(
            `refused to connect to ${hostname}: it resolved to ${refused ?? 'no address'} when connecting`,
          );
          return callback(err, '', 0);
        }
        const all = addresses.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
        if (options.all) return (callback as (e: null, a: typeof all) => void)(null, all);
        callback(null, all[0]!.address, all[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}

/** An agent whose every connection is checked: literal addresses before connecting, names in the socket's lookup. */
function guardedAgent(resolve: HostLookup, policy: NetworkPolicy): Agent {
  const connect = buildConnector({ lookup: guardedLookup(resolve, policy) } as buildConnector.BuildOptions);
  return new Agent({
    connect(options, callback) {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      const refused = net.isIP(host) ? refusedAddress(host, policy) : undefined;
      if (refused) {
        callback(new UnsafeDestinationUrl(`refused to connect to ${refused}`), null);
        return null as never;
      }
      return connect(options, callback);
    },
  });
}

/** The refusal behind an undici error, if the address check caused it. */
export function refusalOf(err: unknown): UnsafeDestinationUrl | undefined {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) if (e instanceof UnsafeDestinationUrl) return e;
  return undefined;
}

/**
 * The outbound HTTP client of a process: one agent for public addresses only, one that also
 * reaches private networks for targets configured with allowPrivateNetwork. `lookup` is the DNS
 * seam tests use; it answers at connect time.
 */
export function outboundHttp(options: { lookup?: HostLookup } = {}): OutboundHttp {
  const resolve = options.lookup ?? systemLookup;
  const agents = {
    public: guardedAgent(resolve, { allowPrivateNetwork: false }),
    private: guardedAgent(resolve, { allowPrivateNetwork: true }),
  };
  return {
    async post(req) {
      const { url } = outboundUrl(req.target, req.url);
      try {
        const answer = await request(url, {
          method: 'POST',
          headers: req.headers,
          body: req.body,
          dispatcher: req.allowPrivateNetwork ? agents.private : agents.public,
          signal: AbortSignal.timeout(req.timeoutMs),
        });
        await answer.body.dump();
        return {
          status: answer.statusCode,
          header: (name) => {
            const value = answer.headers[name.toLowerCase()];
            return Array.isArray(value) ? value[0] : value;
          },
        };
      } catch (err) {
        const refused = refusalOf(err);
        if (refused) throw new UnsafeDestinationUrl(`${req.target}: ${refused.message}`);
        throw err;
      }
    },
    async close() {
      await Promise.all([agents.public.close(), agents.private.close()]);
    },
  };
}

let shared: OutboundHttp | undefined;

/** The process's client with the system's DNS, for callers not given one. */
export const defaultOutboundHttp = (): OutboundHttp => (shared ??= outboundHttp());
