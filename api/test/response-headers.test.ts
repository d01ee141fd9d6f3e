import { ServerResponse } from 'node:http';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import type { HeaderTarget } from '../src/http/response-headers';
import { endWith, gatherHeaders, setResponseHeader } from '../src/http/response-headers';
import { ALICE, makeApp } from './helpers';

/** A listener answering with three headers (one set twice, in another case) through the helpers. */
function listener(gather: boolean) {
  return (_req: IncomingMessage, raw: ServerResponse): void => {
    const res: HeaderTarget = Object.assign(raw, { locals: {} });
    if (gather) gatherHeaders(res);
    setResponseHeader(res, 'X-One', 'first');
    setResponseHeader(res, 'X-Two', '2');
    setResponseHeader(res, 'x-one', 'second');
    endWith(res, 201, '{"ok":true}');
  };
}

describe('response headers', () => {
  test.each([true, false])(
    'when headers are set (gathered: %s), then the answer is the same: a later value replaces an earlier one ' +
      'whatever its case, and Content-Length is exact',
    async (gather) => {
      const res = await request(listener(gather)).get('/');
      expect(res.status).toBe(201);
      expect(res.headers['x-one']).toBe('second');
      expect(res.headers['x-two']).toBe('2');
      expect(res.headers['content-length']).toBe('11');
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.text).toBe('{"ok":true}');
    },
  );

  test('when a gathered header is not valid HTTP, then Node refuses it as setHeader would', () => {
    const res: HeaderTarget = Object.assign(
      new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1 } as IncomingMessage),
      { locals: {} },
    );
    gatherHeaders(res);
    setResponseHeader(res, 'X-Bad', 'line\r\nbreak');
    expect(() => endWith(res, 200, 'x')).toThrow(/Invalid character in header content/);
  });

  test(
    'when POST /predict is answered, 200 or refused, then no header goes through setHeader: all go to writeHead ' +
      'at once',
    async () => {
      const { app } = makeApp();
      const setHeader = jest.spyOn(ServerResponse.prototype, 'setHeader');
      try {
        const ok = await request(app)
          .post('/predict')
          .set('Authorization', ALICE)
          .send({ X: [5.1, 3.5, 1.4, 0.2] });
        const refused = await request(app)
          .post('/predict')
          .send({ X: [5.1, 3.5, 1.4, 0.2] });
        const invalid = await request(app)
          .post('/predict')
          .set('Authorization', ALICE)
          .send({ X: [1] });
        expect([ok.status, refused.status, invalid.status]).toEqual([200, 401, 400]);
        expect(ok.headers['x-request-id']).toBeDefined();
        expect(refused.headers['www-authenticate']).toContain('Basic');
        expect(setHeader).not.toHaveBeenCalled();
        // Express routes still set theirs one by one.
        await request(app).get('/healthz');
        expect(setHeader).toHaveBeenCalled();
      } finally {
        setHeader.mockRestore();
      }
    },
  );
});
