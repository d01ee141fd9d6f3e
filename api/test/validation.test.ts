import { ApiError } from '../src/http/errors';
import { parsePredictBody } from '../src/http/validation';

/** The refusal `parsePredictBody` throws for `body`, as the client sees it. */
function refusal(body: unknown, maxBatch = 3): { message: string; details: unknown } {
  try {
    parsePredictBody(body, 4, maxBatch);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { message: error.message, details: error.details };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('predict body validation (hand-written accept path, zod refusals)', () => {
  test('when a body is one row or a batch of valid rows, then the rows come back as sent', () => {
    expect(parsePredictBody({ X: [5.1, 3.5, 1.4, -0.2] }, 4, 3)).toEqual({
      rows: [[5.1, 3.5, 1.4, -0.2]],
      batch: false,
    });
    const rows = [
      [1, 2, 3, 4],
      [0, 0, -1e150, 1e150],
    ];
    expect(parsePredictBody({ X: rows }, 4, 3)).toEqual({ rows, batch: true });
    expect(parsePredictBody(JSON.parse('{"X":[[1,2,3,4],[5,6,7,8],[9,1,2,3]]}'), 4, 3).rows).toHaveLength(3);
  });

  test(
    'when anything a fast check could let through is sent, ' + 'then zod refuses it with the field and the reason',
    () => {
      // zod's number() already refuses the non-finite (1e999 parses to Infinity), with its own words.
      expect(refusal({ X: [1, 2, 3, Infinity] }).message).toBe(
        'X.3: Invalid input: expected number, received Infinity',
      );
      expect(
        refusal({
          X: [
            [1, 2, 3, 4],
            [1, 2, NaN, 4],
          ],
        }).message,
      ).toBe('X.1.2: Invalid input: expected number, received NaN');
      expect(refusal({ X: [1, 2, 3, '4'] }).message).toMatch(/^X\.3: /);
      expect(
        refusal({
          X: [
            [1, 2, 3, 4],
            [1, 2, 3],
          ],
        }).message,
      ).toBe('X.1: must have exactly 4 numbers');
      expect(refusal({ X: [1, 2, 3, 4, 5] }).message).toBe('X: must have exactly 4 numbers');
      expect(refusal({ X: [[1, 2, 3, 4], 7] }).message).toMatch(/^X\.1: /);
      expect(
        refusal({
          X: [
            [1, 2, 3, 4],
            [1, 2, 3, 4],
            [1, 2, 3, 4],
            [1, 2, 3, 4],
          ],
        }).message,
      ).toBe('X: a batch holds at most 3 rows');
      expect(refusal({ X: [] }).message).toMatch(/^X: /);
      // Finite but past the bound a distance can square without overflowing: the fast path must not let it through.
      expect(
        refusal({
          X: [
            [1, 2, 3, 4],
            [0, 0, 0, 1e300],
          ],
        }).message,
      ).toBe('X.1.3: must be at most 1e150');
      expect(refusal({ X: [-1.7976931348623157e308, 2, 3, 4] }).message).toBe('X.0: must be at least -1e150');
    },
  );

  test(
    'when the object has another key besides X, own or smuggled through __proto__, then it is refused as zod ' +
      'refuses it',
    () => {
      expect(refusal({ X: [1, 2, 3, 4], y: 1 }).message).toMatch(/^\(body\): .*"y"/);
      // JSON.parse makes "__proto__" an own key; it must not slip past as if only X were there.
      const smuggled = refusal(JSON.parse('{"X":[1,2,3,4],"__proto__":{"a":1}}'));
      expect(smuggled.message).toMatch(/^\(body\): /);
      expect(refusal([[1, 2, 3, 4]]).message).toMatch(/^\(body\): /);
      expect(refusal(null).message).toMatch(/^\(body\): /);
    },
  );

  test('when several rows are wrong, then the details list each one, as before', () => {
    const { details } = refusal({
      X: [
        [1, 2, 3, 'a'],
        [1, 2, 3, 4],
        [Infinity, 2, 3, 4],
      ],
    });
    expect(details).toEqual([
      { field: 'X.0.3', problem: expect.any(String) },
      { field: 'X.2.0', problem: 'Invalid input: expected number, received Infinity' },
    ]);
  });
});
