import request from 'supertest';
import { ALICE, makeApp } from './helpers';

/**
 * The Open Inference Protocol (KServe v2 REST) as its specification shows it: the request and
 * response shapes of its inference example (id echoed, named inputs with shape, datatype and data
 * in flattened or nested row-major form, requested outputs), metadata and health, and errors as
 * `{"error": "…"}` with a 4xx status.
 */
describe('Open Inference Protocol', () => {
  const { app } = makeApp();
  const infer = (name: string, body: unknown, auth = true) => {
    const r = request(app).post(`/v2/models/${name}/infer`).set('Content-Type', 'application/json');
    return (auth ? r.set('Authorization', ALICE) : r).send(JSON.stringify(body));
  };

  test('when asked for server metadata, then name, version and extensions come back', async () => {
    const res = await request(app).get('/v2');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'mlship', version: '2', extensions: ['binary_tensor_data'] });
    expect((await request(app).get('/v2/health/live')).body).toEqual({ live: true });
    expect((await request(app).get('/v2/health/ready')).body).toEqual({ ready: true });
  });

  test('when asked for model metadata, then inputs and outputs are described as tensors', async () => {
    const res = await request(app).get('/v2/models/M1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'M1',
      versions: [expect.stringMatching(/^[0-9a-f]{12}$/)],
      platform: expect.any(String),
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP64', shape: [-1, 3] },
      ],
    });
    const version = res.body.versions[0] as string;
    expect((await request(app).get(`/v2/models/M1/versions/${version}`)).status).toBe(200);
    expect((await request(app).get(`/v2/models/M1/versions/${version}/ready`)).body).toEqual({
      name: 'M1',
      ready: true,
    });
    expect((await request(app).get('/v2/models/M1/ready')).body).toEqual({ name: 'M1', ready: true });
  });

  test(
    'when the spec-style request is sent with id, shape, datatype and flattened data, then the response echoes ' +
      'id and returns the tensors',
    async () => {
      const res = await infer('M1', {
        id: '42',
        inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }],
        outputs: [{ name: 'label' }],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        model_name: 'M1',
        model_version: expect.stringMatching(/^[0-9a-f]{12}$/),
        id: '42',
        outputs: [{ name: 'label', datatype: 'BYTES', shape: [2], data: ['setosa', 'virginica'] }],
      });
    },
  );

  test('when data is nested row-major instead of flat, then it means the same tensor', async () => {
    const flat = await infer('M2', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: [5.9, 3.0, 4.2, 1.5] }],
    });
    const nested = await infer('M2', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: [[5.9, 3.0, 4.2, 1.5]] }],
    });
    expect(nested.body.outputs).toEqual(flat.body.outputs);
    expect(flat.body.id).toBeUndefined();
    const probabilities = flat.body.outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(probabilities).toMatchObject({ datatype: 'FP64', shape: [1, 3] });
    expect((probabilities.data as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  test.each([
    [
      'an unknown model',
      'M9',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
      404,
      /unknown model "M9"/,
    ],
    [
      'a wrong datatype',
      'M1',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'BOOL', data: [true, false, true, false] }] },
      400,
      /datatype must be FP32 or FP64/,
    ],
    [
      'a shape that does not match the data',
      'M1',
      { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
      400,
      /needs 8 values, data has 4/,
    ],
    [
      'the wrong feature count',
      'M1',
      { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      400,
      /shape must be \[n, 4\]/,
    ],
    [
      'two input tensors',
      'M1',
      { inputs: [1, 2].map((i) => ({ name: `input-${i}`, shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] })) },
      400,
      /exactly one input/,
    ],
    [
      'no data and no binary_data_size',
      'M1',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32' }] },
      400,
      /needs data, or parameters.binary_data_size/,
    ],
    [
      'an unknown output',
      'M1',
      {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
        outputs: [{ name: 'output0' }],
      },
      400,
      /unknown output "output0"/,
    ],
    ['no inputs', 'M1', { inputs: [] }, 400, /exactly one input/],
    [
      'a value past ±1e150',
      'M1',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: [1, 2, 1e200, 4] }] },
      400,
      /within ±1e150/,
    ],
    [
      'a string in the data',
      'M1',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 'x', 4] }] },
      400,
      /finite numbers/,
    ],
  ])(
    'when the request has %s, then it is an {"error": "…"} with the right status',
    async (_what, name, body, status, message) => {
      const res = await infer(name, body);
      expect(res.status).toBe(status);
      expect(typeof res.body.error).toBe('string');
      expect(res.body.error).toMatch(message);
    },
  );

  test('when the single input has another name (KServe examples send input-0), then it is that input', async () => {
    const res = await infer('M1', {
      inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
      outputs: [{ name: 'label' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] }]);
  });

  test(
    'when M1 is called with the experiment header, ' + 'then its metrics and X-Variant say v1, and M2 counts under v2',
    async () => {
      const fresh = makeApp();
      const body = JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
      });
      const m1 = await request(fresh.app)
        .post('/v2/models/M1/infer')
        .set({ 'Content-Type': 'application/json', Authorization: ALICE, 'X-Experiment-Group': 'debug' })
        .send(body);
      const m2 = await request(fresh.app)
        .post('/v2/models/M2/infer')
        .set({ 'Content-Type': 'application/json', Authorization: ALICE })
        .send(body);
      expect([m1.headers['x-variant'], m2.headers['x-variant']]).toEqual(['v1', 'v2']);
      const text = await fresh.metrics.registry.getSingleMetricAsString('model_predictions_total');
      expect(text).toMatch(
        /model_predictions_total\{model="M1",version="[0-9a-f]{12}",variant="v1",class="setosa"\} 1/,
      );
      expect(text).toMatch(
        /model_predictions_total\{model="M2",version="[0-9a-f]{12}",variant="v2",class="setosa"\} 1/,
      );
      expect(text).not.toMatch(/model="M1"[^}]*variant="v2"/);
    },
  );

  test('when inference has no credentials, then 401 in the protocol error shape', async () => {
    const res = await infer(
      'M1',
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
      false,
    );
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeDefined();
    expect(typeof res.body.error).toBe('string');
  });

  test(
    'when a metadata route gets the wrong version or method, ' + 'then 404 and 405 in the protocol error shape',
    async () => {
      const res = await request(app).get('/v2/models/M1/versions/000000000000');
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/has no version/);
      const wrong = await request(app).delete('/v2/models/M1');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('GET, HEAD');
    },
  );
});
