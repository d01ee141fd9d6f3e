import fc from 'fast-check';
import { Registry } from 'prom-client';
import { BasicAuth, FAILURES_BEFORE_THROTTLE } from '../src/security/auth';
import { createMetrics } from '../src/observability/metrics';
import { join } from 'node:path';
import type { LiveServer } from './hostile-client';
import { contractViolation, listen } from './hostile-client';
import { ALICE, basic, makeApp, ROOT } from './helpers';

const BODY = '{"X":[5.1,3.5,1.4,0.2]}';
const SAMPLES_PER_CASE = 24;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('authentication under attack', () => {
  let clock = 1_000_000;
  const metrics = createMetrics(new Registry(), false);
  const auth = new BasicAuth(join(ROOT, 'api/users.dev.txt'), metrics, { now: () => clock });
  const { app } = makeApp({ RATE_LIMIT_PER_MINUTE: '100000000' }, { auth, metrics });
  let live: LiveServer;
  beforeAll(async () => {
    live = await listen(app);
  });
  afterAll(() => live.close());
  const predict = (authorization: string | undefined, from: string) =>
    live.send({
      method: 'POST',
      path: '/predict',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': from,
        ...(authorization ? { authorization } : {}),
      },
      body: BODY,
    });

  test(
    'when one address keeps guessing, then it is throttled with 429 and Retry-After, no more passwords are ' +
      'checked, other addresses are not affected, and the window ends',
    async () => {
      const attacker = '203.0.113.50';
      const statuses: number[] = [];
      for (let i = 0; i < FAILURES_BEFORE_THROTTLE + 5; i++)
        statuses.push((await predict(basic('alice', `guess-${i}`), attacker)).status);
      expect(statuses).toEqual([...Array<number>(FAILURES_BEFORE_THROTTLE).fill(401), ...Array<number>(5).fill(429)]);
      const failures = await metrics.registry.getSingleMetricAsString('auth_failures_total');
      // Throttled attempts are refused before any scrypt: the failure count stopped at the threshold.
      expect(failures).toContain(`auth_failures_total ${FAILURES_BEFORE_THROTTLE}`);
      const throttled = await predict(ALICE, attacker);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(contractViolation({ method: 'POST', path: '/predict', headers: {} }, throttled)).toBeUndefined();
      expect((await predict(ALICE, '203.0.113.51')).status).toBe(200);
      clock += 61_000;
      expect((await predict(ALICE, attacker)).status).toBe(200);
    },
  );

  test(
    'when a wrong user and a wrong password are tried, ' +
      'then their median response times are within 25% of each other',
    async () => {
      const wrongUser: number[] = [];
      const wrongPassword: number[] = [];
      // Interleaved, from fresh addresses (no throttle) and with fresh passwords (no cache), so both pay for scrypt.
      for (let i = 0; i < SAMPLES_PER_CASE; i++) {
        for (const [list, header] of [
          [wrongUser, basic(`mallory${i}`, `pw-${i}`)],
          [wrongPassword, basic('alice', `pw-${i}`)],
        ] as const) {
          const started = process.hrtime.bigint();
          const res = await predict(header, `198.18.${i}.${list === wrongUser ? 1 : 2}`);
          list.push(Number(process.hrtime.bigint() - started) / 1e6);
          expect(res.status).toBe(401);
        }
      }
      const [user, password] = [median(wrongUser), median(wrongPassword)];
      const authTiming = { wrongUserMedianMs: +user.toFixed(2), wrongPasswordMedianMs: +password.toFixed(2) };
      process.stdout.write(`${JSON.stringify({ authTiming })}\n`);
      expect(Math.abs(user - password) / Math.max(user, password)).toBeLessThan(0.25);
    },
  );
});

describe('/metrics with MONITORING_TOKEN', () => {
  const token = 'monitoring-token-for-hostile-tests-42';
  const { app } = makeApp({ MONITORING_TOKEN: token });
  let live: LiveServer;
  beforeAll(async () => {
    live = await listen(app);
  });
  afterAll(() => live.close());
  const metricsWith = (headers: Record<string, string>, path = '/metrics') =>
    live.send({ method: 'GET', path, headers });

  test.each([
    ['no Authorization', {}],
    ['a wrong token', { authorization: 'Bearer not-the-monitoring-token-000' }],
    ['the token with a suffix', { authorization: `Bearer ${token}x` }],
    ['a prefix of the token', { authorization: `Bearer ${token.slice(0, -1)}` }],
    ['the token without the scheme', { authorization: token }],
    ['the token as Basic', { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` }],
    ['a user login', { authorization: ALICE }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])(
    'when /metrics is asked with %s, then it is 401 with WWW-Authenticate Bearer and a JSON error',
    async (_what, headers) => {
      const res = await metricsWith(headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(contractViolation({ method: 'GET', path: '/metrics', headers }, res)).toBeUndefined();
      expect(res.body).not.toContain('process_cpu');
    },
  );

  test('when the token is only in the query string, then it is refused', async () => {
    expect((await metricsWith({}, `/metrics?token=${token}`)).status).toBe(401);
  });

  test('when 500 random bearer values are tried, then none opens /metrics', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 64, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-0123456789') }),
        async (guess) => {
          fc.pre(guess !== token);
          const res = await metricsWith({ authorization: `Bearer ${guess}` });
          return res.status === 401;
        },
      ),
      { numRuns: 500, seed: 7 },
    );
    expect((await metricsWith({ authorization: `Bearer ${token}` })).status).toBe(200);
  });
});
