import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ALICE, basic, makeApp, trainedModelDir } from './helpers';

describe('models and scores', () => {
  const { app } = makeApp();
  const dir = trainedModelDir();
  const metricsOf = (name: string) => {
    const version = readFileSync(join(dir, name, 'current'), 'utf8').trim();
    return JSON.parse(readFileSync(join(dir, name, version, 'metrics.json'), 'utf8')) as {
      version: string;
      scores: Record<string, number>;
    };
  };

  test.each(['M1', 'M2'])('when GET /%s, then the score equals metrics.json', async (name) => {
    const res = await request(app).get(`/${name}`).set('Authorization', ALICE);
    expect(res.status).toBe(200);
    const metrics = metricsOf(name);
    expect(res.body).toMatchObject({
      model: name,
      version: metrics.version,
      score: metrics.scores.accuracy,
      macroF1: metrics.scores.macroF1,
    });
  });

  test('when GET /models, then every model is listed with its full scores', async () => {
    const res = await request(app).get('/models').set('Authorization', ALICE);
    expect(res.body.models.map((m: { name: string }) => m.name).sort()).toEqual(['M1', 'M2', 'M3', 'M4']);
    for (const m of res.body.models) expect(m.scores).toEqual(metricsOf(m.name).scores);
  });

  test('when GET /models/:name, then the card comes with it; an unknown name is 404', async () => {
    const res = await request(app).get('/models/M1').set('Authorization', ALICE);
    expect(res.body.card).toMatch(/^# Model card: M1/);
    expect((await request(app).get('/models/M9').set('Authorization', ALICE)).status).toBe(404);
    expect((await request(app).get('/models').set('Authorization', basic('alice', 'x'))).status).toBe(401);
  });
});
