import type { RequestListener } from 'node:http';
import request from 'supertest';
import type { Response } from 'supertest';
import { ALICE, makeApp } from './helpers';

/**
 * One request pipeline (api/src/http/pipeline.ts): every answer, from Express or from the POST /predict
 * fast path, success or error, carries the same security headers and a request id; every
 * prediction answer carries the model headers. The routes come from the app's own OpenAPI
 * document, so a route added there is covered here without editing this list.
 */

// helmet's set as the pipeline configures it; an answer missing one, or with another value, fails.
const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];
const MODEL_HEADERS = ['x-model-name', 'x-model-version', 'x-variant'];
const ROW = [5.9, 3.0, 4.2, 1.5];
const INFER_BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: ROW }] };

interface Answer {
  what: string;
  /** The X-Request-Id the request sent. */
  id: string;
  res: Response;
}

/** Every documented operation, called as a client with the right credentials would. */
async function everyDocumentedOperation(app: RequestListener, version: string): Promise<Answer[]> {
  const doc = (await request(app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const answers: Answer[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    const path = template.replace('{name}', 'M1').replace('{version}', version);
    for (const method of Object.keys(operations)) {
      const what = `${method.toUpperCase()} ${path}`;
      const req =
        method === 'post'
          ? request(app)
              .post(path)
              .send(path === '/predict' ? { X: ROW } : INFER_BODY)
          : request(app).get(path);
      const id = `id-${answers.length}`;
      answers.push({ what, id, res: await req.set('Authorization', ALICE).set('X-Request-Id', id) });
    }
  }
  return answers;
}

/** Refusals from each stage and from routing, on both paths. */
async function errorAnswers(app: RequestListener): Promise<Answer[]> {
  const cases: Array<[string, () => request.Test]> = [
    ['POST /predict without credentials', () => request(app).post('/predict').send({ X: ROW })],
    [
      'POST /predict, wrong password',
      () => request(app).post('/predict').set('Authorization', 'Basic YWxpY2U6bm8=').send({ X: ROW }),
    ],
    [
      'POST /predict, not JSON',
      () => request(app).post('/predict').set('Authorization', ALICE).set('Content-Type', 'text/plain').send('5.9'),
    ],
    [
      'POST /predict, malformed JSON',
      () =>
        request(app).post('/predict').set('Authorization', ALICE).set('Content-Type', 'application/json').send('{"X":'),
    ],
    [
      'POST /predict, invalid input',
      () =>
        request(app)
          .post('/predict')
          .set('Authorization', ALICE)
          .send({ X: [1, 2] }),
    ],
    ['GET /predict (405)', () => request(app).get('/predict')],
    ['GET /nowhere (404)', () => request(app).get('/nowhere')],
    [
      'POST /v2/models/M1/infer, invalid input',
      () => request(app).post('/v2/models/M1/infer').set('Authorization', ALICE).send({ inputs: [] }),
    ],
    ['GET /models without credentials', () => request(app).get('/models')],
  ];
  const answers: Answer[] = [];
  for (const [what, send] of cases) {
    const id = `err-${answers.length}`;
    answers.push({ what, id, res: await send().set('X-Request-Id', id) });
  }
  return answers;
}

function headersOf(res: Response, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, res.headers[name]]));
}

describe('one request pipeline: the same headers on every route', () => {
  let answers: Answer[];
  let reference: Record<string, string | undefined>;
  let version: string;
  let exposition: string;

  beforeAll(async () => {
    const { app, store, metrics } = makeApp();
    version = store.get('M1')!.version;
    answers = [...(await everyDocumentedOperation(app, version)), ...(await errorAnswers(app))];
    reference = headersOf(await request(app).get('/healthz'), SECURITY_HEADERS);
    exposition = await metrics.registry.metrics();
    // Training the shared registry (the first file of a run) and ~30 requests, one scrypt check among them.
  }, 60_000);

  test('when every documented operation is called, then each is answered (the list is the real one)', () => {
    const operations = answers.filter(
      (a) => !a.what.includes(',') && !a.what.includes('(') && !a.what.includes('without'),
    );
    expect(operations.map((a) => a.what)).toEqual(
      expect.arrayContaining(['POST /predict', 'POST /v2/models/M1/infer', 'GET /status', 'GET /metrics', 'GET /docs']),
    );
    for (const { what, res } of operations) expect([what, res.status < 500]).toEqual([what, true]);
  });

  test('when any route answers, success or error, then it carries every security header with the same value', () => {
    for (const header of SECURITY_HEADERS) expect(reference[header]).toEqual(expect.any(String));
    for (const { what, res } of answers)
      expect({ what, headers: headersOf(res, SECURITY_HEADERS) }).toEqual({ what, headers: reference });
  });

  test('when any route answers, then it echoes the X-Request-Id the client sent', () => {
    for (const { what, id, res } of answers) expect({ what, id: res.headers['x-request-id'] }).toEqual({ what, id });
  });

  test(
    'when a prediction is answered, on the fast path or the Open Inference Protocol, then it names the model, ' +
      'version and variant',
    () => {
      const predictions = answers.filter((a) => a.what === 'POST /predict' || a.what === 'POST /v2/models/M1/infer');
      expect(predictions).toHaveLength(2);
      for (const { what, res } of predictions) {
        expect([what, res.status]).toEqual([what, 200]);
        expect({ what, headers: headersOf(res, MODEL_HEADERS) }).toEqual({
          what,
          headers: { 'x-model-name': 'M1', 'x-model-version': version, 'x-variant': 'v1' },
        });
      }
    },
  );

  test('when requests end, on the fast path or on Express, then each is counted under its route template', () => {
    expect(exposition).toContain('http_requests_total{method="POST",route="/predict",status="200"} 1');
    expect(exposition).toContain('http_requests_total{method="POST",route="/predict",status="401"} 2');
    expect(exposition).toContain('http_requests_total{method="GET",route="/models/:name",status="200"} 1');
    expect(exposition).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
  });
});
