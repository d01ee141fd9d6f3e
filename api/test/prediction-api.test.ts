import request from 'supertest';
import { ALICE, basic, makeApp, SAMPLES, USERS } from './helpers';

describe('prediction API', () => {
  const { app } = makeApp();
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    request(app)
      .post('/predict')
      .set({ Authorization: ALICE, ...headers })
      .send(body as object);

  test.each(Object.entries(USERS))(
    'when %s sends their password, then /predict answers 200',
    async (user, password) => {
      const res = await request(app)
        .post('/predict')
        .set('Authorization', basic(user, password))
        .send({ X: SAMPLES.setosa });
      expect(res.status).toBe(200);
      expect(res.body.prediction).toBe('setosa');
    },
  );

  test.each([
    ['a wrong password', basic('alice', 'nope')],
    ['an unknown user', basic('mallory', 'wonderland')],
    ['a malformed header', 'Basic !!!'],
  ])('when the request has %s, then it is 401 with WWW-Authenticate', async (_what, header) => {
    const res = await request(app).post('/predict').set('Authorization', header).send({ X: SAMPLES.setosa });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="mlship"/);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test('when there is no Authorization header, then it is 401', async () => {
    const res = await request(app).post('/predict').send({ X: SAMPLES.setosa });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeDefined();
  });

  test.each(['M1', 'M2'])(
    'when %s is asked for a canonical sample of each class, then it predicts it right',
    async (model) => {
      for (const [cls, row] of Object.entries(SAMPLES)) {
        const res = await post({ X: row }, model === 'M2' ? { 'X-Experiment-Group': 'debug' } : {});
        expect(res.headers['x-model-name']).toBe(model);
        expect([cls, res.body.prediction]).toEqual([cls, cls]);
      }
    },
  );

  test('when given a batch, then it answers one prediction per row in order', async () => {
    const res = await post({ X: Object.values(SAMPLES) });
    expect(res.status).toBe(200);
    expect(res.body.predictions).toEqual(Object.keys(SAMPLES));
    expect(res.headers['x-variant']).toBe('v1');
  });

  test('when the debug header is sent, then variant v2 answers with probabilities and neighbours from M2', async () => {
    const res = await post({ X: SAMPLES.virginica }, { 'X-Experiment-Group': 'debug' });
    expect(res.headers['x-variant']).toBe('v2');
    expect(res.headers['x-model-name']).toBe('M2');
    expect(res.body.prediction).toBe('virginica');
    expect(Object.values(res.body.probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(
      1,
      10,
    );
    expect(res.body.neighbours.length).toBeGreaterThan(0);
    expect(res.body.neighbours[0]).toEqual({
      label: expect.any(String),
      distance: expect.any(Number),
      features: expect.any(Array),
    });
  });

  test('when API_VARIANT=v2, then v2 is the default without the header', async () => {
    const v2 = makeApp({ API_VARIANT: 'v2' }).app;
    const res = await request(v2).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa });
    expect(res.headers['x-variant']).toBe('v2');
    expect(res.body.probabilities).toBeDefined();
  });

  test.each([
    ['a row too short', { X: [1, 2, 3] }, 'X'],
    ['a string in a row', { X: [1, 2, '3', 4] }, 'X'],
    ['no X', { Y: [1, 2, 3, 4] }, 'X'],
    ['X not an array', { X: 'setosa' }, 'X'],
    ['a NaN as a string', { X: [1, 2, 'NaN', 4] }, 'X.2'],
    ['an empty batch', { X: [] }, 'X'],
    ['a huge number', '{"X":[1e999,1,1,1]}', 'X'],
    ['nested too deep', { X: [[[1, 2, 3, 4]]] }, 'X'],
  ])('when the body has %s, then it is 400 naming the field', async (_what, body, field) => {
    const res = await request(app)
      .post('/predict')
      .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
      .send(body as object);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(res.body.error.message.startsWith(field)).toBe(true);
  });

  test('when the batch is larger than MAX_BATCH, then it is 400', async () => {
    const small = makeApp({ MAX_BATCH: '2' }).app;
    const res = await request(small)
      .post('/predict')
      .set('Authorization', ALICE)
      .send({ X: [SAMPLES.setosa, SAMPLES.setosa, SAMPLES.setosa] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/at most 2 rows/);
  });

  test('when the JSON is malformed, then it is 400 malformed_json', async () => {
    const res = await request(app)
      .post('/predict')
      .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
      .send('{"X": [1,2,');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  test('when the body is not JSON, then it is 415', async () => {
    const res = await request(app)
      .post('/predict')
      .set({ Authorization: ALICE, 'Content-Type': 'text/plain' })
      .send('5.1,3.5,1.4,0.2');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  test('when the body is over BODY_LIMIT, then it is 413', async () => {
    const tiny = makeApp({ BODY_LIMIT: '100b' }).app;
    const res = await request(tiny)
      .post('/predict')
      .set('Authorization', ALICE)
      .send({ X: Array.from({ length: 20 }, () => SAMPLES.setosa) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  test('when the route is unknown, then it is 404; when the method is wrong, then 405 with Allow', async () => {
    const missing = await request(app).get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const wrong = await request(app).get('/predict').set('Authorization', ALICE);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });

  test('when a user exceeds RATE_LIMIT_PER_MINUTE, then it is 429 with Retry-After and RateLimit headers', async () => {
    const limited = makeApp({ RATE_LIMIT_PER_MINUTE: '3' });
    const responses = [];
    for (let i = 0; i < 5; i++)
      responses.push(
        await request(limited.app).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa }),
      );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const last = responses[4]!;
    expect(last.headers['retry-after']).toBeDefined();
    expect(last.headers.ratelimit).toBeDefined();
    expect(last.body.error.code).toBe('rate_limited');
    // Another user has their own budget.
    expect(
      (
        await request(limited.app)
          .post('/predict')
          .set('Authorization', basic('bob', USERS.bob))
          .send({ X: SAMPLES.setosa })
      ).status,
    ).toBe(200);
  });

  test(
    'when a client keeps failing to log in, ' + 'then it is throttled with 429 even with the right password',
    async () => {
      const fresh = makeApp();
      for (let i = 0; i < 10; i++)
        await request(fresh.app)
          .post('/predict')
          .set('Authorization', basic('alice', `wrong${i}`))
          .send({ X: SAMPLES.setosa });
      const res = await request(fresh.app).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa });
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
      const text = await fresh.metrics.registry.getSingleMetricAsString('auth_failures_total');
      expect(text).toMatch(/auth_failures_total 10/);
    },
  );
});
