import type { IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { FAILURES_BEFORE_THROTTLE } from '../src/security/auth';
import { clientAddressOf } from '../src/security/client-address';
import { ConfigError, loadConfig } from '../src/config';
import { UserTable } from '../src/security/users-file';
import type { LiveServer, RawResponse } from './hostile-client';
import { listen } from './hostile-client';
import { ALICE, basic, makeApp, trainedModelDir, USERS } from './helpers';
import { startServer } from './server-process';

// Documentation ranges only (RFC 5737): 198.51.100.0/24 stands for the ingress controller's pod
// network, 203.0.113.0/24 for clients on the internet, 192.0.2.0/24 for what clients make up.
const INGRESS = '198.51.100.10';
const TRUSTED = 'loopback,198.51.100.0/24';
const BODY = '{"X":[5.1,3.5,1.4,0.2]}';

/** X-Forwarded-For as the ingress sends it: whatever the client claimed, the client it saw, then the ingress itself. */
function viaIngress(client: string, claimed?: string): string {
  return [claimed, client, INGRESS].filter(Boolean).join(', ');
}

/** A request as proxy-addr reads it: the socket peer and X-Forwarded-For. */
function arriving(peer: string, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('TRUST_PROXY', () => {
  test(
    'when it is a list of names, addresses and CIDRs, ' + 'or a hop count, then it is accepted; unset means loopback',
    () => {
      expect(loadConfig({}).TRUST_PROXY).toEqual(['loopback']);
      expect(loadConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toEqual(['loopback']);
      expect(
        loadConfig({ TRUST_PROXY: 'loopback, 198.51.100.0/24,fd00::/8 ,192.0.2.7,uniquelocal,linklocal' }).TRUST_PROXY,
      ).toEqual(['loopback', '198.51.100.0/24', 'fd00::/8', '192.0.2.7', 'uniquelocal', 'linklocal']);
      expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
      expect(loadConfig({ TRUST_PROXY: '0' }).TRUST_PROXY).toBe(0);
    },
  );

  test(
    'when it is not one of those forms, ' + 'then loading stops with one line naming TRUST_PROXY and the bad entry',
    () => {
      for (const [value, problem] of [
        ['ingress', '"ingress" is not an address'],
        ['198.51.100.0/33', '"198.51.100.0/33": the prefix length must be 0 to 32'],
        ['fd00::/129', 'must be 0 to 128'],
        ['loopback,,198.51.100.0/24', 'an empty entry'],
        ['198.51.100.0/24/9', '"198.51.100.0/24/9" is not an address'],
        ['198.51.100.0/255.255.255.0', 'the prefix length must be'],
        ['17', 'a hop count is at most 16'],
        ['true', '"true" is not an address'],
      ] as const) {
        let error: unknown;
        try {
          loadConfig({ TRUST_PROXY: value });
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const message = (error as Error).message;
        expect([
          value,
          message.startsWith(`invalid TRUST_PROXY=${JSON.stringify(value)}: `),
          message.includes(problem),
          message.includes('\n'),
        ]).toEqual([value, true, true, false]);
      }
    },
  );

  test(
    'when X-Forwarded-For passes trusted and untrusted hops, then the client is the first untrusted address from ' +
      'the right',
    () => {
      const ranges = clientAddressOf(['loopback', '198.51.100.0/24']);
      const claimed = '192.0.2.66, 203.0.113.7, 198.51.100.10';
      expect(ranges(arriving('127.0.0.1', claimed))).toBe('203.0.113.7');
      expect(ranges(arriving('::ffff:127.0.0.1', claimed))).toBe('203.0.113.7');
      // An untrusted hop ends the walk: what lies left of it is whatever that hop was told.
      expect(ranges(arriving('127.0.0.1', '203.0.113.7, 192.0.2.20, 198.51.100.10'))).toBe('192.0.2.20');
      // A peer that is not a trusted proxy is the client, whatever it claims.
      expect(ranges(arriving('203.0.113.40', claimed))).toBe('203.0.113.40');
      expect(clientAddressOf(['loopback'])(arriving('127.0.0.1', claimed))).toBe('198.51.100.10');
      expect(clientAddressOf(2)(arriving('127.0.0.1', claimed))).toBe('203.0.113.7');
      expect(clientAddressOf(1)(arriving('198.51.100.10', claimed))).toBe(INGRESS);
      expect(clientAddressOf(0)(arriving('127.0.0.1', claimed))).toBe('127.0.0.1');
    },
  );
});

describe('failed-login throttle behind a trusted ingress', () => {
  let live: LiveServer;
  let metrics: ReturnType<typeof makeApp>['metrics'];
  beforeEach(async () => {
    const made = makeApp({ TRUST_PROXY: TRUSTED, RATE_LIMIT_PER_MINUTE: '100000000' });
    metrics = made.metrics;
    live = await listen(made.app);
  });
  afterEach(() => live.close());
  const predict = (authorization: string, forwardedFor: string): Promise<RawResponse> =>
    live.send({
      method: 'POST',
      path: '/predict',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor, authorization },
      body: BODY,
    });
  const failuresCounted = async (): Promise<number> =>
    Number(/auth_failures_total (\d+)/.exec(await metrics.registry.getSingleMetricAsString('auth_failures_total'))![1]);

  /** FAILURES_BEFORE_THROTTLE wrong passwords from `client`, each claiming a different address of its own. */
  async function failFrom(client: string): Promise<void> {
    for (let i = 0; i < FAILURES_BEFORE_THROTTLE; i++) {
      expect((await predict(basic('alice', `guess-${i}`), viaIngress(client, `192.0.2.${i + 1}`))).status).toBe(401);
    }
  }

  test(
    'when one client keeps failing, then it alone gets ' + '429: another client behind the same ingress logs in',
    async () => {
      await failFrom('203.0.113.7');
      // Made-up addresses left of the client changed nothing: all ten failures counted against it.
      expect((await predict(basic('alice', 'one-more-guess'), viaIngress('203.0.113.7', '192.0.2.99'))).status).toBe(
        429,
      );
      expect((await predict(basic('bob', USERS.bob), viaIngress('203.0.113.8'))).status).toBe(200);
    },
  );

  test(
    'when others behind the same address keep failing, then a verified user still passes, and unverified ' +
      'credentials get 429 without an scrypt',
    async () => {
      const office = '203.0.113.20';
      expect((await predict(ALICE, viaIngress(office))).status).toBe(200);
      await failFrom(office);
      const verify = jest.spyOn(UserTable.prototype, 'verify');
      try {
        const failures = await failuresCounted();
        expect((await predict(ALICE, viaIngress(office))).status).toBe(200);
        const unverified = await predict(basic('clementine', USERS.clementine), viaIngress(office));
        expect(unverified.status).toBe(429);
        expect(Number(unverified.headers['retry-after'])).toBeGreaterThan(0);
        expect(JSON.parse(unverified.body)).toMatchObject({ error: { code: 'rate_limited' } });
        expect((await predict(basic('alice', 'still-guessing'), viaIngress(office))).status).toBe(429);
        expect(verify).not.toHaveBeenCalled();
        expect(await failuresCounted()).toBe(failures);
      } finally {
        verify.mockRestore();
      }
    },
  );
});

describe('TRUST_PROXY in a real server process', () => {
  test(
    'when the server trusts the ingress range, ' + 'then a client behind it who keeps failing is throttled alone',
    async () => {
      const server = await startServer({ MODEL_DIR: trainedModelDir(), TRUST_PROXY: TRUSTED });
      try {
        expect(server.port).toBeGreaterThan(0);
        const send = (authorization: string, forwardedFor: string) =>
          new Promise<number>((resolve, reject) => {
            const req = request(
              {
                host: '127.0.0.1',
                port: server.port,
                method: 'GET',
                path: '/models',
                headers: { authorization, 'x-forwarded-for': forwardedFor },
                timeout: 10_000,
              },
              (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              },
            );
            req.on('timeout', () => req.destroy(new Error('timeout')));
            req.on('error', reject);
            req.end();
          });
        const statuses: number[] = [];
        for (let i = 0; i <= FAILURES_BEFORE_THROTTLE; i++)
          statuses.push(await send(basic('bob', `guess-${i}`), viaIngress('203.0.113.30', `192.0.2.${i + 1}`)));
        expect(statuses).toEqual([...Array<number>(FAILURES_BEFORE_THROTTLE).fill(401), 429]);
        expect(await send(basic('bob', USERS.bob), viaIngress('203.0.113.31'))).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  );

  test('when TRUST_PROXY is invalid, then start-up stops with exit 2 and one line', async () => {
    const server = await startServer({ MODEL_DIR: trainedModelDir(), TRUST_PROXY: 'ingress-nginx' });
    // A server that accepted the value would serve on: stop it rather than wait for it.
    if (server.port > 0) server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(2);
    expect(server.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^error: invalid TRUST_PROXY="ingress-nginx": "ingress-nginx" is not an address, a CIDR or one of loopback, linklocal, uniquelocal \(/,
      ),
    ]);
  });
});
