import { FixedWindowLimiter } from '../src/security/rate-limit';

/** A limiter on a clock the test moves by hand. */
function limiterAt(limit: number, windowMs = 60_000): { limiter: FixedWindowLimiter; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { limiter: new FixedWindowLimiter(limit, windowMs, () => now), advance: (ms) => (now += ms) };
}

describe('fixed-window rate limiter', () => {
  test(
    'when a key makes limit + 2 requests in a window, then the first limit pass, the rest are limited, and ' +
      'remaining counts down to 0',
    () => {
      const { limiter } = limiterAt(3);
      const hits = Array.from({ length: 5 }, () => limiter.hit('user:alice'));
      expect(hits.map((h) => h.limited)).toEqual([false, false, false, true, true]);
      expect(hits.map((h) => h.remaining)).toEqual([2, 1, 0, 0, 0]);
      expect(hits[0]).toMatchObject({ limit: 3, resetSeconds: 60 });
    },
  );

  test('when the window ends, then the key starts a fresh one; reset counts down the seconds left meanwhile', () => {
    const { limiter, advance } = limiterAt(2);
    limiter.hit('k');
    advance(20_500);
    expect(limiter.hit('k')).toMatchObject({ limited: false, remaining: 0, resetSeconds: 40 });
    expect(limiter.hit('k').limited).toBe(true);
    advance(39_500);
    expect(limiter.hit('k')).toMatchObject({ limited: false, remaining: 1, resetSeconds: 60 });
  });

  test('when two keys share the limiter, then each has its own budget', () => {
    const { limiter } = limiterAt(1);
    expect(limiter.hit('user:alice').limited).toBe(false);
    expect(limiter.hit('user:alice').limited).toBe(true);
    expect(limiter.hit('user:bob').limited).toBe(false);
  });

  test('when a key is hit just before the rotation, then its window survives the rotation and still limits', () => {
    const { limiter, advance } = limiterAt(1);
    advance(59_000);
    limiter.hit('k');
    advance(2_000);
    // The limiter rotated its maps at 60 s; the key's window runs until 119 s.
    expect(limiter.hit('k')).toMatchObject({ limited: true, resetSeconds: 58 });
  });

  test('when many keys stop sending, then they are forgotten within two windows and memory does not grow', () => {
    const { limiter, advance } = limiterAt(10);
    for (let i = 0; i < 1000; i++) limiter.hit(`user:${i}`);
    expect(limiter.size).toBe(1000);
    advance(60_000);
    limiter.hit('user:active');
    advance(60_000);
    limiter.hit('user:active');
    expect(limiter.size).toBe(1);
    // After a long silence, everything from before is gone at once.
    advance(10 * 60_000);
    limiter.hit('user:later');
    expect(limiter.size).toBe(1);
  });

  test(
    'when a key is peeked, then nothing is counted, and it reads limited once the budget is spent until the ' +
      'window ends',
    () => {
      const { limiter, advance } = limiterAt(2);
      expect(limiter.peek('addr')).toMatchObject({ limited: false, remaining: 2 });
      expect(limiter.size).toBe(0);
      limiter.hit('addr');
      expect(limiter.peek('addr')).toMatchObject({ limited: false, remaining: 1, resetSeconds: 60 });
      limiter.hit('addr');
      advance(15_000);
      expect(limiter.peek('addr')).toMatchObject({ limited: true, remaining: 0, resetSeconds: 45 });
      expect(limiter.peek('addr').limited).toBe(true);
      advance(45_000);
      expect(limiter.peek('addr')).toMatchObject({ limited: false, remaining: 2 });
    },
  );

  test(
    'when maxKeys is set and more keys arrive, ' + 'then the oldest are forgotten and the size stays at the bound',
    () => {
      let now = 0;
      const limiter = new FixedWindowLimiter(1, 60_000, () => now, 100);
      for (let i = 0; i < 1000; i++) limiter.hit(`addr:${i}`);
      expect(limiter.size).toBe(100);
      expect(limiter.peek('addr:999').limited).toBe(true);
      expect(limiter.peek('addr:0').limited).toBe(false);
      now += 61_000;
      for (let i = 0; i < 150; i++) limiter.hit(`later:${i}`);
      expect(limiter.size).toBe(100);
    },
  );
});
