import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

// nginx and other local proxies sit on loopback: trust their X-Forwarded-For, no one else's.
const trustLoopback = proxyaddr.compile('loopback');

/** The client's address: the socket peer, or the forwarded client when the peer is a local proxy. */
export function clientAddress(req: IncomingMessage): string {
  return proxyaddr(req, trustLoopback);
}
