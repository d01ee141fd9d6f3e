/**
 * A name server on 127.0.0.1:53 that answers nothing and records every question it is asked: a
 * container started with `resolvConf` as its /etc/resolv.conf (host networking) sends it every
 * lookup it makes, so a check can say whether the container tried to reach any host by name.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DnsWatch {
  /** A resolv.conf naming this server only. */
  resolvConf: string;
  /** The names asked so far. */
  questions: string[];
  stop(): Promise<void>;
}

/**
 * The question's name in a DNS query: length-prefixed labels from byte 12 (after the header) up
 * to a zero length (RFC 1035 4.1.2; a query's question carries no compression pointer). Written
 * here rather than taken from a DNS library: nothing else is read from the packet.
 */
export function questionName(packet: Buffer): string {
  const labels: string[] = [];
  for (let at = 12; at < packet.length && packet[at]! > 0 && labels.length < 64; at += packet[at]! + 1)
    labels.push(packet.subarray(at + 1, at + 1 + packet[at]!).toString('latin1'));
  return labels.join('.') || '(unreadable)';
}

export async function startDnsWatch(): Promise<DnsWatch> {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-dns-'));
  const resolvConf = join(dir, 'resolv.conf');
  // One attempt, short: a lookup that is made shows at once, and nothing waits on the silence.
  writeFileSync(resolvConf, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const questions: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (packet) => questions.push(questionName(packet)));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) =>
      reject(
        new Error(
          `cannot listen on 127.0.0.1:53 for the container's lookups (${error.message}): run as root, or free ` +
            'that port (a local resolver), or allow it with sysctl net.ipv4.ip_unprivileged_port_start=53',
        ),
      ),
    );
    socket.bind(53, '127.0.0.1', () => resolve());
  });
  return {
    resolvConf,
    questions,
    stop: () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}
