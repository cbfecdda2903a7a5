import type { Config } from '../config';

/**
 * What Connection.connect and NativeConnection.connect are given: the configured server with its
 * TLS, API key and headers, or, with no server configured, the dev server at `devServer` as it is
 * (local and plain; a profile's credentials are not for it).
 */
export function connectionOptions(
  temporal: Config['temporal'],
  devServer = `127.0.0.1:${temporal.port}`,
): {
  address: string;
  tls?: Config['temporal']['credentials']['tls'];
  apiKey?: string;
  metadata?: Record<string, string>;
} {
  if (!temporal.address) return { address: devServer };
  const { tls, apiKey, metadata } = temporal.credentials;
  return {
    address: temporal.address,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
  };
}
