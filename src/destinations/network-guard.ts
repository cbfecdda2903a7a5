import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Thrown when a URL or an address points somewhere cohortflow must not send to. */
export class UnsafeDestinationUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeDestinationUrl';
  }
}

// Which addresses an outbound request may reach. The ranges are ipaddr.js's names for the IANA
// special-purpose registries (loopback, private, linkLocal, carrierGradeNat, uniqueLocal,
// reserved — documentation and 192.0.0.0/24 among them —, benchmarking, ipv4Mapped, rfc6052
// (NAT64), 6to4, teredo, …): only 'unicast' is public. Two additions the library does not name:
// IPv4-compatible IPv6 (::a.b.c.d, deprecated by RFC 4291) and IPv6 outside 2000::/3, the only
// block IANA allocates for global unicast.

/** Ranges a destination may reach when it opts in with allowPrivateNetwork (a receiver on your own network). */
const PRIVATE_NETWORK = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

/** IPv6 ranges that translate to an IPv4 address: judged by the address inside. */
const TRANSLATED = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

export interface AddressClass {
  /** ipaddr.js's range name, or ipv4Compatible / notGlobalUnicast. */
  range: string;
  /** The IPv4 address an IPv6 address carries (mapped, translated, NAT64, 6to4, Teredo server, compatible). */
  embedded?: string;
}

function embeddedIPv4(ip: ipaddr.IPv6, range: string): string | undefined {
  const parts = ip.parts;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'ipv4Compatible') return v4(parts[6]!, parts[7]!);
  // NAT64 with the well-known /96 prefix; the local-use /48 (RFC 8215) places it by prefix length.
  if (range === 'rfc6052') return parts[2] === 0 ? v4(parts[6]!, parts[7]!) : undefined;
  if (range === '6to4') return v4(parts[1]!, parts[2]!);
  if (range === 'teredo') return v4(parts[2]!, parts[3]!);
  return undefined;
}

/** The range an address (IPv4 or IPv6, as DNS or a URL spells it) belongs to. */
export function classifyAddress(address: string): AddressClass {
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') return { range: ip.range() };
  const v6 = ip as ipaddr.IPv6;
  let range: string = v6.range();
  if (range === 'unicast' && v6.parts.slice(0, 6).every((p) => p === 0)) range = 'ipv4Compatible';
  else if (range === 'unicast' && !v6.match(GLOBAL_UNICAST)) range = 'notGlobalUnicast';
  const embedded = embeddedIPv4(v6, range);
  return embedded ? { range, embedded } : { range };
}

export interface NetworkPolicy {
  /** Also allow loopback, private (RFC 1918), unique-local and CGNAT addresses; never link-local or the rest. */
  allowPrivateNetwork: boolean;
}

/** Why the address is refused under the policy, or undefined when it may be reached. */
export function refusedAddress(
  address: string,
  policy: NetworkPolicy = { allowPrivateNetwork: false },
): string | undefined {
  if (!net.isIP(address.replace(/%.*$/, ''))) return `${JSON.stringify(address)} (not an IP address)`;
  const { range, embedded } = classifyAddress(address);
  const allowed = (r: string) => r === 'unicast' || (policy.allowPrivateNetwork && PRIVATE_NETWORK.has(r));
  if (allowed(range)) return undefined;
  if (TRANSLATED.has(range) && embedded) {
    const inner = refusedAddress(embedded, policy);
    return inner ? `${address} (${range}, carrying ${inner})` : undefined;
  }
  const carries = embedded ? `, carrying ${embedded}` : '';
  const reach = policy.allowPrivateNetwork ? 'nor a private network address' : 'not a public address';
  return `${address} (${range}${carries}, ${reach})`;
}

/** Resolves a host name to every address it has; tests inject their own answers. */
export type HostLookup = (host: string) => Promise<string[]>;
export const systemLookup: HostLookup = async (host) =>
  (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The URL if it is http(s); the host without IPv6 brackets. */
export function outboundUrl(destination: string, url: string): { url: URL; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeDestinationUrl(`destination ${destination}: ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UnsafeDestinationUrl(
      `destination ${destination}: refused ${url}: only http and https URLs are allowed (got ${parsed.protocol})`,
    );
  }
  return { url: parsed, host: parsed.hostname.replace(/^\[|\]$/g, '') };
}

/**
 * Checks a URL as configuration is loaded, for an early, clear error: the scheme, and every
 * address the host resolves to now. The check that counts is made again at connect time, on
 * the address actually connected to (outbound-http.ts): DNS may answer differently by then.
 */
export async function assertSafeUrl(
  destination: string,
  url: string,
  allowPrivateNetwork: boolean,
  lookup: HostLookup = systemLookup,
): Promise<void> {
  const { host } = outboundUrl(destination, url);
  const addresses = net.isIP(host) ? [host] : await lookup(host);
  for (const address of addresses) {
    const why = refusedAddress(address, { allowPrivateNetwork });
    if (why)
      throw new UnsafeDestinationUrl(
        `destination ${destination}: refused ${url}: ${host === address ? why : `${host} resolves to ${why}`}${allowPrivateNetwork ? '' : '; allow private networks only for a receiver on your own network'}`,
      );
  }
}
