import request from 'supertest';
import { FAILURES_BEFORE_THROTTLE } from '../src/security/auth';
import { ALICE, basic, makeApp } from './helpers';

/**
 * What Schemathesis (npm run test:schema) found where the server and /openapi.json disagreed,
 * each fixed on the side that was wrong and kept here as a plain test.
 */
describe('server and OpenAPI document agree', () => {
  test('when /docs gets a method it does not serve, then 405 with Allow, as every other route', async () => {
    const res = await request(makeApp().app).delete('/docs');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  test(
    'when an address is throttled after failed logins, then a request with no credentials still gets the 401 ' +
      'challenge, and asking for it is not counted as a guess',
    async () => {
      const { app } = makeApp();
      const from = (address: string) => request(app).get('/models').set('X-Forwarded-For', address);
      for (let i = 0; i < 3 * FAILURES_BEFORE_THROTTLE; i++) expect((await from('192.0.2.7')).status).toBe(401);
      expect((await from('192.0.2.7').set('Authorization', ALICE)).status).toBe(200);
      for (let i = 0; i < FAILURES_BEFORE_THROTTLE; i++)
        await from('192.0.2.8').set('Authorization', basic('alice', 'wrong'));
      // The address is throttled for anything not verified before (#13: alice's cached login still passes).
      expect((await from('192.0.2.8').set('Authorization', basic('bob', 'builder'))).status).toBe(429);
      expect((await from('192.0.2.8').set('Authorization', ALICE)).status).toBe(200);
      const challenge = await from('192.0.2.8');
      expect(challenge.status).toBe(401);
      expect(challenge.headers['www-authenticate']).toMatch(/^Basic/);
    },
  );

  test(
    'when a feature is finite but so large that a distance overflows, ' + 'then 400 naming it, never a null distance',
    async () => {
      const { app } = makeApp();
      const res = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'Content-Type': 'application/json', 'X-Experiment-Group': 'debug' })
        .send(JSON.stringify({ X: [[5, 3, 1.7976931348623157e308, 0.2]] }));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('X.0.2: must be at most 1e150');
      const ok = await request(app)
        .post('/predict')
        .set({ Authorization: ALICE, 'Content-Type': 'application/json', 'X-Experiment-Group': 'debug' })
        .send(JSON.stringify({ X: [[5, 3, 1e150, 0.2]] }));
      expect(ok.status).toBe(200);
      expect(
        ok.body.predictions[0].neighbours.every((n: { distance: unknown }) => typeof n.distance === 'number'),
      ).toBe(true);
    },
  );

  test(
    'when the models are loaded, then the document gives the row length and the model names, and lists 429 and ' +
      'the OIP error shape',
    async () => {
      const doc = (await request(makeApp().app).get('/openapi.json')).body;
      expect(doc.components.schemas.Row).toMatchObject({ minItems: 4, maxItems: 4 });
      expect(Object.keys(doc.components.parameters.ModelName.examples)).toEqual(['M1', 'M2', 'M3', 'M4']);
      expect(doc.paths['/models'].get.responses[429]).toBeDefined();
      expect(doc.paths['/v2/models/{name}/infer'].post.responses[400].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/OipError',
      });
      expect(doc.components.schemas.InferenceRequest.properties.outputs.items.required).toEqual(['name']);
    },
  );
});
