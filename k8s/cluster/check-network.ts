/**
 * Address arithmetic for cluster-check.ts: IPv4 ranges, and the verdict on a pod's routing table
 * (/proc/net/route, read in the pod): routes only inside 198.18.0.0/15 and no default route, so a
 * pod cannot send a packet to eth0's network, a private range or the internet.
 */

const toNumber = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/** True when the IPv4 address `ip` lies in `cidr` (a.b.c.d/n). */
export function inRange(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  if (!isIpv4(ip) || !isIpv4(base)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}

/** /proc/net/route's little-endian hex (0000 12C6) as dotted decimal (198.18.0.0). */
function hexAddress(hex: string): string {
  return [3, 2, 1, 0].map((byte) => parseInt(hex.slice(byte * 2, byte * 2 + 2), 16)).join('.');
}

/** A dotted netmask as its prefix length (the 15 of 198.18.0.0/15). */
const prefixLength = (mask: string): number =>
  mask.split('.').reduce((n, part) => n + Number(part).toString(2).replace(/0/g, '').length, 0);

/** The routes of /proc/net/route as "destination/prefix via gateway". */
export function routesOf(procNetRoute: string): string[] {
  return procNetRoute
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, destination, gateway, , , , , mask] = line.trim().split(/\s+/);
      const via = hexAddress(gateway!) === '0.0.0.0' ? '' : ` via ${hexAddress(gateway!)}`;
      return `${hexAddress(destination!)}/${prefixLength(hexAddress(mask!))}${via}`;
    });
}

/** ok when every route stays inside 198.18.0.0/15, one of them is that range, and none is a default route. */
export function isPodRouteTable(procNetRoute: string): { ok: boolean; detail: string } {
  const routes = routesOf(procNetRoute);
  const outside = routes.filter(
    (route) => !inRange(route.split('/')[0]!, '198.18.0.0/15') || Number(route.split(/[/ ]/)[1]) < 15,
  );
  const ok =
    routes.length > 0 && outside.length === 0 && routes.some((route) => route.startsWith('198.18.0.0/15 via '));
  return {
    ok,
    detail:
      `routes ${routes.join(', ') || 'none'}` +
      `${outside.length > 0 ? `; outside 198.18.0.0/15: ${outside.join(', ')}` : ''}`,
  };
}
