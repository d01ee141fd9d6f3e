import request from 'supertest';
import { ALICE, makeApp, SAMPLES, USERS } from './helpers';

describe('health, docs and metrics', () => {
  test('when healthy, then /status, /healthz and /readyz answer without auth', async () => {
    const { app } = makeApp();
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    const status = await request(app).get('/status');
    expect(status.body).toMatchObject({ status: 'ok', ready: true, variant: 'v1' });
    expect(status.body.models).toHaveLength(4);
    expect(status.body.servesAllPromoted).toBe(true);
  });

  test(
    'when draining, then /readyz answers 503 and requests ' + 'still in flight finish with Connection: close',
    async () => {
      const lifecycle = { draining: true };
      const { app } = makeApp({}, { lifecycle });
      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('not_ready');
      const res = await request(app).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa });
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe('close');
    },
  );

  test('when no model is loaded, then /readyz and /predict answer 503', async () => {
    const { app, store } = makeApp();
    (store as unknown as { models: Map<string, unknown> }).models = new Map();
    expect((await request(app).get('/readyz')).status).toBe(503);
    const res = await request(app).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_ready');
  });

  test(
    'when /openapi.json and /docs are asked for, ' + 'then the document and Swagger UI come from the package',
    async () => {
      const { app } = makeApp();
      const doc = await request(app).get('/openapi.json');
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/predict', '/v2/models/{name}/infer', '/metrics']),
      );
      expect((await request(app).get('/docs')).status).toBe(301);
      const page = await request(app).get('/docs/');
      expect(page.text).toContain('swagger-ui-bundle.js');
      expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg)/);
      expect((await request(app).get('/docs/swagger-ui-bundle.js')).status).toBe(200);
      expect((await request(app).get('/docs/swagger-initializer.js')).text).toContain('../openapi.json');
    },
  );

  test('when traffic has flowed, then every contract metric is exported with route templates', async () => {
    const { app } = makeApp();
    await request(app).post('/predict').set('Authorization', ALICE).send({ X: SAMPLES.setosa });
    await request(app)
      .post('/predict')
      .set({ Authorization: ALICE, 'X-Experiment-Group': 'debug' })
      .send({ X: SAMPLES.virginica });
    await request(app).get('/models/M1').set('Authorization', ALICE);
    const text = (await request(app).get('/metrics')).text;
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'http_requests_in_flight',
      'model_predictions_total',
      'model_inference_duration_seconds_bucket',
      'model_input_feature_value_bucket',
      'auth_failures_total',
      'rate_limited_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect([name, text.includes(name)]).toEqual([name, true]);
    }
    expect(text).toContain('route="/models/:name"');
    expect(text).not.toContain('route="/models/M1"');
    expect(text).toMatch(
      /model_predictions_total\{model="M2",version="[0-9a-f]{12}",variant="v2",class="virginica"\} 1/,
    );
  });

  test('when MONITORING_TOKEN is set, then /metrics needs the bearer token', async () => {
    const token = 'a-long-monitoring-token-123';
    const { app } = makeApp({ MONITORING_TOKEN: token });
    expect((await request(app).get('/metrics')).status).toBe(401);
    expect((await request(app).get('/metrics').set('Authorization', 'Bearer wrong-token-xxxxxxxxxxxx')).status).toBe(
      401,
    );
    expect((await request(app).get('/metrics').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });

  test(
    'when a request carries X-Request-Id, ' + 'then it is echoed and logged; credentials never reach a log line',
    async () => {
      const { app, logs } = makeApp();
      const res = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'X-Request-Id': 'trace-123' })
        .send({ X: SAMPLES.setosa });
      expect(res.headers['x-request-id']).toBe('trace-123');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(logs.some((l) => l.includes('"reqId":"trace-123"'))).toBe(true);
      const secret = ALICE.slice(6);
      expect(logs.join('\n')).not.toContain(secret);
      expect(logs.join('\n')).not.toContain(USERS.alice);
    },
  );
});
