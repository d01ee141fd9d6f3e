import { pollUntil, waitFor } from '../support/poll-until';

/** A probe that answers the given values in turn (the last one from then on), counting its calls. */
function answers<T>(...values: T[]): { probe: () => T; calls: () => number } {
  let calls = 0;
  return { probe: () => values[Math.min(calls++, values.length - 1)]!, calls: () => calls };
}

const quick = { timeoutMs: 5000, intervalMs: 1 };

describe('pollUntil', () => {
  test('when the wanted answer comes on the third call, then it is returned as done after three calls', async () => {
    const { probe, calls } = answers(1, 2, 3, 4);
    const polled = await pollUntil(probe, (n) => n === 3, quick);
    expect([polled.value, polled.done, calls()]).toEqual([3, true, 3]);
  });

  test('when the time runs out, then the last answer comes back as not done, asked at least once', async () => {
    const { probe, calls } = answers('no');
    const polled = await pollUntil(probe, (s) => s === 'yes', { timeoutMs: 0, intervalMs: 1 });
    expect([polled.value, polled.done, calls()]).toEqual(['no', false, 1]);
  });

  test('when the probe throws, then the wait ends with its error', async () => {
    await expect(
      pollUntil(
        () => Promise.reject(new Error('kubectl: no such pod')),
        () => true,
        quick,
      ),
    ).rejects.toThrow('kubectl: no such pod');
  });
});

describe('waitFor', () => {
  test('when the probe throws twice and then answers true, then it resolves', async () => {
    let calls = 0;
    const probe = (): boolean => {
      calls += 1;
      if (calls < 3) throw new Error('connect ECONNREFUSED');
      return true;
    };
    await expect(waitFor('the API', probe, quick)).resolves.toBeGreaterThanOrEqual(0);
    expect(calls).toBe(3);
  });

  test(
    'when the time runs out, then the message names what was awaited, ' + 'the timeout, the last error and the detail',
    async () => {
      const refused = new Error('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      const wait = waitFor('Prometheus on 127.0.0.1:9090', () => Promise.reject(refused), {
        timeoutMs: 20,
        intervalMs: 1,
        detail: () => 'last log line',
      });
      await expect(wait).rejects.toThrow(
        'timed out after 20 ms waiting for Prometheus on 127.0.0.1:9090 (last error: fetch failed: ' +
          'ECONNREFUSED):\nlast log line',
      );
    },
  );

  test('when the probe only answers false, then the message has no last error', async () => {
    await expect(waitFor('healthy replicas', () => false, { timeoutMs: 5, intervalMs: 1 })).rejects.toThrow(
      /^timed out after 5 ms waiting for healthy replicas$/,
    );
  });

  test('when abortIf reports an error, then the wait ends with it before the probe is asked', async () => {
    const { probe, calls } = answers(false);
    const wait = waitFor('readiness', probe, { ...quick, abortIf: () => new Error('api exited before readiness') });
    await expect(wait).rejects.toThrow('api exited before readiness');
    expect(calls()).toBe(0);
  });
});
