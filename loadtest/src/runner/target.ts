import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Which URLs the local runner may load. A load test is traffic someone pays for, so the default
 * is loopback only; another host must be named again with `--allow-host <host>`, and private
 * network ranges (10/8, 172.16/12, 192.168/16) and link-local addresses are refused even then.
 */

/** Why `address` (an IP literal) may never be a target, or undefined. */
export function forbiddenAddress(address: string): string | undefined {
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    if (a === 10) return 'a private address (10.0.0.0/8)';
    if (a === 172 && b >= 16 && b <= 31) return 'a private address (172.16.0.0/12)';
    if (a === 192 && b === 168) return 'a private address (192.168.0.0/16)';
    if (a === 169 && b === 254) return 'a link-local address (169.254.0.0/16)';
    if (a === 0) return 'an unspecified address (0.0.0.0/8)';
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    if (/^fe[89ab]/.test(lower)) return 'a link-local address (fe80::/10)';
    if (/^f[cd]/.test(lower)) return 'a private address (fc00::/7)';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return forbiddenAddress(mapped[1]!);
  }
  return undefined;
}

/** Whether `address` (an IP literal) is loopback. */
export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const lower = address.toLowerCase();
  return lower === '::1' || /^::ffff:127\./.test(lower);
}

/** A URL the runner may load, parsed. */
export interface Target {
  url: URL;
  /** The URL without a trailing slash, for joining paths. */
  base: string;
}

/**
 * Parses and vets `raw`. Loopback (127.0.0.0/8, ::1, localhost) is always allowed; any other host
 * only when it equals `allowHost`, and never when it is or resolves to a private or link-local
 * address. Throws one line saying why not.
 */
export async function vetTarget(
  raw: string,
  allowHost?: string,
  resolve: (host: string) => Promise<string[]> = defaultResolve,
): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url "${raw}" is not a URL (e.g. http://127.0.0.1:8000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--url must be http or https, got ${url.protocol}`);
  if (url.username || url.password)
    throw new Error('--url must not carry credentials; use --user/--password or API_USER/API_PASSWORD');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : host === 'localhost' ? ['127.0.0.1'] : await resolve(host);
  if (addresses.length === 0) throw new Error(`--url host ${host} does not resolve`);
  for (const address of addresses) {
    const why = forbiddenAddress(address);
    if (why) throw new Error(`refusing to load ${host}: ${address} is ${why}`);
  }
  const loopback = addresses.every(isLoopback);
  if (!loopback && allowHost !== host) {
    throw new Error(
      `refusing to load ${host}: only loopback by default; name the host again with --allow-host ${host} if you ` +
        `mean to load it`,
    );
  }
  return { url, base: url.toString().replace(/\/+$/, '') };
}

async function defaultResolve(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return [];
  }
}
