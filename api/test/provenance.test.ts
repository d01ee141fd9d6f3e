import Ajv2020 from 'ajv/dist/2020';
import request from 'supertest';
import { openApiDocument } from '../src/http/openapi/document';
import { publishModelMetrics } from '../src/observability/metrics';
import { ALICE, makeApp, trainedModelDir } from './helpers';
import { servedOnDisk } from './promotion';

/** Validates a body against a schema of the API's own OpenAPI document; returns the errors. */
function schemaErrors(schema: string, body: unknown): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...openApiDocument(1000), $id: 'openapi' });
  const validate = ajv.getSchema(`openapi#/components/schemas/${schema}`)!;
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('provenance: the sha256 of each served model', () => {
  const { app, metrics, store } = makeApp();
  const onDisk = {
    M1: servedOnDisk(trainedModelDir(), 'M1'),
    M2: servedOnDisk(trainedModelDir(), 'M2'),
    M3: servedOnDisk(trainedModelDir(), 'M3'),
    M4: servedOnDisk(trainedModelDir(), 'M4'),
  };

  test(
    'when GET /status, then each model is {name, version, sha256} as the registry records it, and the body ' +
      'matches the Status schema',
    async () => {
      const res = await request(app).get('/status');
      expect(res.body.models).toEqual([
        { name: 'M1', ...onDisk.M1 },
        { name: 'M2', ...onDisk.M2 },
        { name: 'M3', ...onDisk.M3 },
        { name: 'M4', ...onDisk.M4 },
      ]);
      expect(schemaErrors('Status', res.body)).toEqual([]);
    },
  );

  test('when GET /models and /models/:name, then every entry carries its sha256 and matches the schemas', async () => {
    const list = await request(app).get('/models').set('Authorization', ALICE);
    expect(
      list.body.models.map((m: { name: string; version: string; sha256: string }) => [m.name, m.version, m.sha256]),
    ).toEqual([
      ['M1', onDisk.M1.version, onDisk.M1.sha256],
      ['M2', onDisk.M2.version, onDisk.M2.sha256],
      ['M3', onDisk.M3.version, onDisk.M3.sha256],
      ['M4', onDisk.M4.version, onDisk.M4.sha256],
    ]);
    expect(schemaErrors('ModelList', list.body)).toEqual([]);
    const one = await request(app).get('/models/M2').set('Authorization', ALICE);
    expect(one.body).toMatchObject({ name: 'M2', ...onDisk.M2 });
    expect(schemaErrors('ModelDetail', one.body)).toEqual([]);
  });

  test('when a body lacks the sha256, then the schemas reject it (they are not vacuous)', () => {
    expect(
      schemaErrors('Status', {
        status: 'ok',
        service: 'mlship-api',
        variant: 'v1',
        ready: true,
        models: [{ name: 'M1', version: onDisk.M1.version }],
        servesAllPromoted: true,
        uptimeSeconds: 1,
        devCredentials: false,
        warnings: [],
      }),
    ).toEqual(["/models/0 must have required property 'sha256'"]);
    expect(schemaErrors('ModelList', { models: [{ name: 'M1', version: onDisk.M1.version }] })[0]).toMatch(
      /must have required property/,
    );
  });

  test('when the models are published, then model_info has the labels model, version, variant and sha256', async () => {
    publishModelMetrics(metrics, store);
    const exposition = await metrics.registry.getSingleMetricAsString('model_info');
    expect(exposition.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      `model_info{model="M1",version="${onDisk.M1.version}",variant="v1",sha256="${onDisk.M1.sha256}"} 1`,
      `model_info{model="M2",version="${onDisk.M2.version}",variant="v2",sha256="${onDisk.M2.sha256}"} 1`,
      `model_info{model="M3",version="${onDisk.M3.version}",variant="v1",sha256="${onDisk.M3.sha256}"} 1`,
      `model_info{model="M4",version="${onDisk.M4.version}",variant="v1",sha256="${onDisk.M4.sha256}"} 1`,
    ]);
  });
});
