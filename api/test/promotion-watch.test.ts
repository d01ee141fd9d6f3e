import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config';
import { createMetrics, publishModelMetrics } from '../src/metrics';
import { ModelStore } from '../src/model-store';
import { PromotionWatch } from '../src/promotion-watch';
import { promoteCorruptCopy, promoteFrom, servedOnDisk, trainAnotherVersion } from './promotion';
import { copyRegistry } from './server-process';

/** A store on a private registry and a watch whose reload is the store's own, as in server.ts. */
function watched(): { dir: string; store: ModelStore; watch: PromotionWatch; refusals: string[] } {
  const dir = copyRegistry();
  const store = new ModelStore(dir, ['M1', 'M2']);
  store.load();
  const refusals: string[] = [];
  const reload = (): string | undefined => {
    try {
      store.reload();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return { dir, store, watch: new PromotionWatch(dir, store, reload, (problem) => refusals.push(problem)), refusals };
}

describe('promotion watch', () => {
  const retrained = trainAnotherVersion('M1');

  test('when no pointer changed, then a poll does nothing', () => {
    const { watch, refusals } = watched();
    expect([watch.check(), watch.check()]).toEqual(['unchanged', 'unchanged']);
    expect(refusals).toEqual([]);
  });

  test('when a new version of M1 is promoted, then the next poll swaps it in and M2 stays', () => {
    const { dir, store, watch } = watched();
    const m2 = store.get('M2')!.version;
    expect(retrained.version).not.toBe(store.get('M1')!.version);
    promoteFrom(retrained.registry, dir, 'M1', retrained.version);
    expect(watch.check()).toBe('reloaded');
    expect(store.get('M1')).toMatchObject({ version: retrained.version, sha256: retrained.sha256 });
    expect(store.get('M2')!.version).toBe(m2);
    expect(watch.check()).toBe('unchanged');
  });

  test('when a corrupt version is promoted, then it is refused once, the old one keeps serving, and the next promotion is taken', () => {
    const { dir, store, watch, refusals } = watched();
    const good = servedOnDisk(dir, 'M1');
    promoteCorruptCopy(dir, 'M1', good.version, 'bad000000001');
    expect([watch.check(), watch.check(), watch.check()]).toEqual(['refused', 'already-refused', 'already-refused']);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(join(dir, 'M1', 'bad000000001', 'model.json'));
    expect(refusals[0]).toMatch(/sha256 mismatch/);
    expect(store.get('M1')!.version).toBe(good.version);
    promoteFrom(retrained.registry, dir, 'M1', retrained.version);
    expect(watch.check()).toBe('reloaded');
    expect(store.get('M1')!.version).toBe(retrained.version);
    expect(refusals).toHaveLength(1);
  });

  test.each([
    ['a pointer to a missing version', (dir: string) => writeFileSync(join(dir, 'M1', 'current'), '0123456789ab\n'), /file not found$/],
    ['a deleted pointer', (dir: string) => rmSync(join(dir, 'M1', 'current')), /no promoted version/],
    ['a pointer that is no version id', (dir: string) => writeFileSync(join(dir, 'M1', 'current'), 'garbage\n'), /not a version id$/],
  ])('when M1 gets %s, then it is refused once and the old version keeps serving', (_what, breakIt, reason) => {
    const { dir, store, watch, refusals } = watched();
    const good = store.get('M1')!.version;
    breakIt(dir);
    expect([watch.check(), watch.check()]).toEqual(['refused', 'already-refused']);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(reason);
    expect(store.get('M1')!.version).toBe(good);
  });

  test('when the poll swaps a version in, then model_info carries the new version and sha256 only', async () => {
    const { dir, store, watch } = watched();
    const metrics = createMetrics(new Registry(), false);
    const config = loadConfig({});
    publishModelMetrics(metrics, store.all(), config.MODEL_NAME);
    promoteFrom(retrained.registry, dir, 'M1', retrained.version);
    watch.check();
    publishModelMetrics(metrics, store.all(), config.MODEL_NAME);
    const m1 = (await metrics.modelInfo.get()).values.filter((v) => v.labels.model === 'M1');
    expect(m1).toEqual([{ labels: { model: 'M1', version: retrained.version, variant: 'v1', sha256: retrained.sha256 }, value: 1 }]);
  });

  test('when started with 0, then no timer runs; when started, the timer does not keep the process alive', () => {
    const { watch } = watched();
    watch.start(0);
    expect((watch as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
    watch.start(1000);
    const timer = (watch as unknown as { timer?: NodeJS.Timeout }).timer!;
    expect(timer.hasRef()).toBe(false);
    watch.stop();
    expect((watch as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
  });
});
