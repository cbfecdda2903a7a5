import dns from 'node:dns/promises';
import net from 'node:net';

/** Thrown when a destination URL points somewhere cohortflow must not post to. */
export class UnsafeDestinationUrl extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeDestinationUrl';
  }
}

// Addresses a webhook must never reach unless the destination opts in: the host itself, private
// networks, cloud metadata (169.254.169.254), carrier-grade NAT, multicast and unspecified.
const blocked = new net.BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net6, prefix, 'ipv6');

/** Why the address is refused, or undefined when it is a public address. */
export function refusedAddress(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  const family = net.isIPv4(ip) ? 'ipv4' : 'ipv6';
  return blocked.check(ip, family)
    ? `${address} is a loopback, private, link-local, CGNAT, unique-local, unspecified or multicast address`
    : undefined;
}

/**
 * Refuses non-http(s) URLs and hosts that resolve to a non-public address (every address DNS
 * returns is checked). Called at config load and again before every send: DNS may change.
 */
export type HostLookup = (host: string) => Promise<string[]>;
const systemLookup: HostLookup = async (host) => (await dns.lookup(host, { all: true })).map((a) => a.address);

export async function assertSafeUrl(
  destination: string,
  url: string,
  allowPrivateNetwork: boolean,
  lookup: HostLookup = systemLookup,
): Promise<void> {
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
  if (allowPrivateNetwork) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : await lookup(host);
  for (const address of addresses) {
    const why = refusedAddress(address);
    if (why)
      throw new UnsafeDestinationUrl(
        `destination ${destination}: refused ${url}: ${host} resolves to ${why}; set allowPrivateNetwork: true only for a receiver you trust`,
      );
  }
}
