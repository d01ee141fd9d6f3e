import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** The proxies whose X-Forwarded-For is believed: address ranges, or a number of hops. */
export type TrustedProxies = string[] | number;

/**
 * Names proxy-addr knows: 127.0.0.1/8 and ::1; 169.254.0.0/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7.
 */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Why one TRUST_PROXY entry is not a trusted-proxy range, or undefined when it is one. An entry
 * is a name proxy-addr knows, an address, or an address with a prefix length (CIDR).
 */
export function trustedProxyProblem(entry: string): string | undefined {
  if (RANGE_NAMES.has(entry)) return undefined;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined)
    return `"${entry}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal`;
  if (prefix === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return `"${entry}": the prefix length must be 0 to ${bits}`;
  return undefined;
}

/**
 * The client address of a request as the trusted proxies tell it: starting at the socket peer,
 * X-Forwarded-For is walked from the right while the address is a trusted proxy (or, with a hop
 * count, for that many hops); the first untrusted address is the client. Entries a client wrote
 * itself sit left of the first untrusted hop and are never believed.
 */
export function clientAddressOf(trusted: TrustedProxies): (req: IncomingMessage) => string {
  const trust =
    typeof trusted === 'number' ? (_address: string, hop: number) => hop < trusted : proxyaddr.compile(trusted);
  return (req) => proxyaddr(req, trust);
}

/** nginx and other local proxies sit on loopback: the default trusts their X-Forwarded-For only. */
export const DEFAULT_TRUSTED_PROXIES: TrustedProxies = ['loopback'];
