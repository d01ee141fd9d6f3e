/**
 * k8s/azure/deploy.sh's control flow against a recording stand-in for az, curl and npm
 * (support/fake-cli.sh, run by support/azure-sandbox.ts): Azure is unreachable here, so each
 * scenario says what az answers and the test reads which commands the script ran, in order.
 */
import { spawn } from 'node:child_process';
import {
  NEW_V1,
  NEW_V2,
  OLD_V1,
  OLD_V2,
  STABLE_ONLY,
  WITH_V2,
  argv,
  changes,
  deactivated,
  deploy,
  liveApp,
  sandbox,
} from './support/azure-sandbox';

// Each deploy runs some twenty stand-in processes: allow for a busy machine.
jest.setTimeout(60_000);

describe('deploy.sh revision names', () => {
  test('when a deploy is retried after a rollback, then the new revision does not reuse the deactivated name', () => {
    const first = `mlship--v1-cdcdcdcd-a1`;
    const run = deploy([], [], liveApp(STABLE_ONLY, [first, OLD_V1]));
    expect(run.status).toBe(0);
    expect(run.yaml?.properties.template.revisionSuffix).toBe('v1-cdcdcdcd-a2');
    expect(run.calls.join('\n')).not.toContain(`${first}=`);
  });

  test('when the attempt id names a revision that exists, then it stops before any change with one line', () => {
    const run = deploy([], [], liveApp(STABLE_ONLY, [NEW_V1, OLD_V1]));
    expect(run.status).not.toBe(0);
    expect(run.out).toMatch(/revision mlship--v1-cdcdcdcd-a2 exists already/);
    expect(changes(run)).toEqual([]);
  });

  test(
    'when the live digest is redeployed and the new revision is unhealthy, then the serving revision is never ' +
      'deactivated',
    () => {
      const serving = `mlship--v1-cdcdcdcdcdcd`; // the earlier one-suffix-per-digest name
      const run = deploy(
        [],
        [{ match: ['revision show', 'healthState'], stdout: 'Unhealthy' }],
        liveApp([{ revisionName: serving, weight: 100, label: 'stable' }]),
      );
      expect(run.status).toBe(1);
      expect(deactivated(run)).toEqual([NEW_V1]);
      expect(run.calls.some((c) => c.includes('traffic set'))).toBe(false);
    },
  );
});

describe('deploy.sh traffic and labels', () => {
  test(
    'when v1 is deployed next to a v2 experiment, then the new revision gets at 0 % and the live traffic keeps ' +
      'its labels',
    () => {
      const run = deploy([], []);
      expect(run.status).toBe(0);
      expect(run.yaml?.properties.configuration.ingress.traffic).toEqual(STABLE_ONLY);
      const split = deploy([], [], liveApp(WITH_V2));
      expect(split.yaml?.properties.configuration.ingress.traffic).toEqual(WITH_V2);
      expect(changes(split)).toEqual(
        expect.arrayContaining([
          `az containerapp ingress traffic set --revision-weight ${NEW_V1}=90 ${OLD_V1}=0 ${OLD_V2}=10`,
          `az containerapp revision label add --label stable --revision ${NEW_V1} --yes`,
          `az containerapp revision label add --label v2 --revision ${OLD_V2} --yes`,
        ]),
      );
    },
  );

  test(
    'when the live traffic follows latestRevision, then the update pins it to that revision so the new one gets ' +
      'nothing',
    () => {
      const created = [{ latestRevision: true, weight: 100 }];
      const run = deploy(
        [],
        [],
        [
          {
            match: ['az containerapp show', 'latestRevisionName'],
            stdout: JSON.stringify({ latest: OLD_V1, traffic: created }),
          },
          ...liveApp(STABLE_ONLY),
        ],
      );
      expect(run.status).toBe(0);
      expect(run.yaml?.properties.configuration.ingress.traffic).toEqual([{ revisionName: OLD_V1, weight: 100 }]);
      // Entries left at 0 % without a label by earlier shifts are dropped, labelled ones kept.
      const leftovers = [
        { latestRevision: true, weight: 0 },
        { revisionName: OLD_V2, weight: 0 },
        ...STABLE_ONLY,
        { revisionName: 'mlship--v2-x-a0', weight: 0, label: 'v2' },
      ];
      const tidy = deploy(
        [],
        [],
        [
          {
            match: ['az containerapp show', 'latestRevisionName'],
            stdout: JSON.stringify({ latest: NEW_V2, traffic: leftovers }),
          },
          ...liveApp(STABLE_ONLY),
        ],
      );
      expect(tidy.yaml?.properties.configuration.ingress.traffic).toEqual([
        ...STABLE_ONLY,
        { revisionName: 'mlship--v2-x-a0', weight: 0, label: 'v2' },
      ]);
    },
  );

  test('when v2 is deployed, then it gets its weight and the v2 label, and stable is re-added', () => {
    const run = deploy(['--variant', 'v2', '--weight', '20'], [], liveApp(WITH_V2));
    expect(run.status).toBe(0);
    expect(changes(run)).toEqual(
      expect.arrayContaining([
        `az containerapp ingress traffic set --revision-weight ${NEW_V2}=20 ${OLD_V1}=80 ${OLD_V2}=0`,
        `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
        `az containerapp revision label add --label v2 --revision ${NEW_V2} --yes`,
      ]),
    );
    // The earlier v2 revision is retired once the new one has served; stable is untouched.
    expect(deactivated(run)).toEqual([OLD_V2]);
  });

  test(
    'when a label is created and the app smoke then fails, ' + 'then traffic, labels and the new revision are undone',
    () => {
      const run = deploy(['--variant', 'v2', '--weight', '10'], [{ match: ['curl', 'app.example.net'], exit: 22 }]);
      expect(run.status).toBe(1);
      const undo = changes(run).slice(
        changes(run).indexOf(`az containerapp revision label add --label v2 --revision ${NEW_V2} --yes`) + 1,
      );
      expect(undo).toEqual([
        `az containerapp ingress traffic set --revision-weight ${OLD_V1}=100 ${NEW_V2}=0`,
        `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
        'az containerapp revision label remove --label v2',
        `az containerapp revision deactivate --revision ${NEW_V2}`,
      ]);
    },
  );

  test('when the app smoke fails after the shift, then the whole traffic split and both labels come back', () => {
    const run = deploy([], [{ match: ['curl', 'app.example.net'], exit: 22 }], liveApp(WITH_V2));
    expect(run.status).toBe(1);
    const all = changes(run);
    expect(all.slice(-4)).toEqual([
      `az containerapp ingress traffic set --revision-weight ${OLD_V1}=90 ${OLD_V2}=10 ${NEW_V1}=0`,
      `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
      `az containerapp revision label add --label v2 --revision ${OLD_V2} --yes`,
      `az containerapp revision deactivate --revision ${NEW_V1}`,
    ]);
    expect(run.out).toMatch(/rolling back/);
  });

  test('when az show fails after traffic moved, then it rolls back instead of exiting under set -e', () => {
    const run = deploy([], [{ match: ['az containerapp show', 'ingress.fqdn'], exit: 1 }]);
    expect(run.status).not.toBe(0);
    expect(changes(run).slice(-3)).toEqual([
      `az containerapp ingress traffic set --revision-weight ${OLD_V1}=100 ${NEW_V1}=0`,
      `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
      `az containerapp revision deactivate --revision ${NEW_V1}`,
    ]);
  });

  test('when the run is cancelled after traffic moved, then it rolls back before it exits', async () => {
    const box = sandbox([{ match: ['curl', 'app.example.net'], pause: 2 }], liveApp(STABLE_ONLY), {});
    const child = spawn('bash', argv([]), { env: box.env });
    let out = '';
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!box.calls().some((c) => c.startsWith('curl') && c.includes('app.example.net')))
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const run = box.collect(await exited, out);
    expect(run.status).toBe(1);
    expect(run.out).toMatch(/interrupted/);
    expect(changes(run).slice(-3)).toEqual([
      `az containerapp ingress traffic set --revision-weight ${OLD_V1}=100 ${NEW_V1}=0`,
      `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
      `az containerapp revision deactivate --revision ${NEW_V1}`,
    ]);
  });

  test('when a deploy succeeds, then the previous revision is deactivated only after the app URL served', () => {
    const run = deploy([], []);
    expect(run.status).toBe(0);
    const appSmoke = run.calls.findIndex((c) => c.startsWith('curl') && c.includes('app.example.net'));
    const retire = run.calls.findIndex((c) => c.includes(`revision deactivate`));
    expect(appSmoke).toBeGreaterThan(-1);
    expect(retire).toBeGreaterThan(appSmoke);
    expect(deactivated(run)).toEqual([OLD_V1]);
    expect(run.outputs).toContain(`revision=${NEW_V1}\n`);
    expect(run.outputs).toContain(`previous=${OLD_V1}\n`);
    expect(run.outputs).toContain('url=https://app.example.net\n');
  });

  test(
    'when --rollback names the previous revision, ' +
      'then it is activated, healthy, smoke-tested and takes stable back',
    () => {
      const run = deploy(
        ['--rollback', OLD_V1],
        [],
        liveApp([{ revisionName: NEW_V1, weight: 100, label: 'stable' }], [OLD_V1, NEW_V1]),
      );
      expect(run.status).toBe(0);
      expect(changes(run)).toEqual([
        `az containerapp revision activate --revision ${OLD_V1}`,
        `az containerapp ingress traffic set --revision-weight ${OLD_V1}=100 ${NEW_V1}=0`,
        `az containerapp revision label add --label stable --revision ${OLD_V1} --yes`,
        `az containerapp revision deactivate --revision ${NEW_V1}`,
      ]);
      expect(run.calls.some((c) => c.startsWith('curl') && c.includes('revision.example.net'))).toBe(true);
    },
  );
});

describe('deploy.sh lineage', () => {
  const models = JSON.stringify([
    { name: 'M1', version: 'a1b2c3d4e5f6', sha256: 'e'.repeat(64), dataSha256: 'f'.repeat(64), accuracy: 0.96 },
  ]);

  test(
    'when --expect-models is given, then the revision URL ' +
      'is checked with npm run lineage before any traffic moves',
    () => {
      const run = deploy(['--expect-models', models], []);
      expect(run.status).toBe(0);
      const lineage = run.calls.findIndex(
        (c) => c === `npm run -s lineage -- --url https://revision.example.net --expected ${models}`,
      );
      const shift = run.calls.findIndex((c) => c.includes('traffic set'));
      expect(lineage).toBeGreaterThan(-1);
      expect(shift).toBeGreaterThan(lineage);
    },
  );

  test(
    'when the revision serves other models than the image records, then no traffic moves and the revision is ' +
      'deactivated',
    () => {
      const run = deploy(
        ['--expect-models', models],
        [{ match: ['npm run -s lineage'], stdout: 'lineage: M1 serves version 000000000000', exit: 1 }],
      );
      expect(run.status).toBe(1);
      expect(run.out).toMatch(/lineage check of mlship--v1-cdcdcdcd-a2 failed/);
      expect(changes(run)).toEqual([
        expect.stringMatching(/^az containerapp update /),
        `az containerapp revision deactivate --revision ${NEW_V1}`,
      ]);
    },
  );

  test.each([['not json'], ['[]'], ['[{"name":"M1"}]']])(
    'when --expect-models is %s, then it stops with one line',
    (value) => {
      const run = deploy(['--expect-models', value], []);
      expect(run.status).not.toBe(0);
      expect(run.out).toMatch(/--expect-models must be/);
      expect(run.calls).toEqual([]);
    },
  );
});
