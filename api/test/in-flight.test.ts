import { request } from 'node:http';
import type { ClientRequest } from 'node:http';
import type { LiveServer } from './hostile-client';
import { listen } from './hostile-client';
import { ALICE, makeApp } from './helpers';

const BODY = '{"X":[5.1,3.5,1.4,0.2]}';

describe('http_requests_in_flight', () => {
  let live: LiveServer;
  beforeAll(async () => {
    live = await listen(makeApp().app);
  });
  afterAll(() => live.close());

  /** The gauge as a scrape of `path` reads it. */
  async function inFlightSeen(path = '/metrics'): Promise<number> {
    const res = await live.send({ method: 'GET', path, headers: {} });
    expect(res.status).toBe(200);
    return Number(/^http_requests_in_flight (\d+)$/m.exec(res.body)![1]);
  }

  test('when only the scrape is in flight, then the gauge reads 0, however /metrics is spelled', async () => {
    for (const path of ['/metrics', '/metrics?scraper=keda', '/metrics/', '/METRICS'])
      expect([path, await inFlightSeen(path)]).toEqual([path, 0]);
  });

  test(
    'when a prediction is still uploading, then a scrape counts it, ' +
      'and the gauge returns to 0 once it is answered',
    async () => {
      let upload: ClientRequest | undefined;
      const answered = new Promise<number>((resolve, reject) => {
        upload = request(
          {
            host: '127.0.0.1',
            port: live.port,
            method: 'POST',
            path: '/predict',
            headers: { authorization: ALICE, 'content-type': 'application/json', 'content-length': BODY.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        upload.on('error', reject);
        upload.write(BODY.slice(0, 5));
      });
      // The server counts the request once its headers arrive: wait for that, a bounded number of scrapes.
      let seen = 0;
      for (let i = 0; i < 100 && seen === 0; i++) {
        seen = await inFlightSeen();
        if (seen === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen).toBe(1);
      upload!.end(BODY.slice(5));
      expect(await answered).toBe(200);
      expect(await inFlightSeen()).toBe(0);
    },
  );
});
