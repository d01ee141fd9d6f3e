import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Step } from './support/workflow-files';
import { readWorkflows, SCRIPTS_DIR } from './support/workflow-files';
import { readAllDocPages } from '../../scripts/test/doc-pages';

/**
 * Policy tests for issue #12 and #13 over the parsed workflows: one chain from the gate to the
 * pushed image, no training for the image, lineage-checked deploys, the `kubernetes` target, and
 * the GitHub-side fixes (OIDC subjects, environments, pinned k6, attestations that degrade).
 */
const workflows = Object.fromEntries(readWorkflows().map(({ file, workflow }) => [file, workflow]));
const ci = workflows['ci.yml']!;
const release = workflows['release.yml']!;
const deploy = workflows['deploy.yml']!;
const needsOf = (job: Job): string[] => (typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []));
const allSteps = Object.entries(workflows).flatMap(([file, wf]) =>
  Object.entries(wf.jobs).flatMap(([job, spec]) => (spec.steps ?? []).map((step) => ({ file, job, step }))),
);
/** A step's shell text, with the text of any .github/scripts file it runs (where the work is). */
function scriptText(step: Step): string {
  const called = [...(step.run ?? '').matchAll(/bash \.github\/scripts\/([\w.-]+\.sh)/g)].map((m) =>
    readFileSync(join(SCRIPTS_DIR, m[1]!), 'utf8'),
  );
  return [step.run ?? '', ...called].join('\n');
}
const usesAction = (step: Step, action: string): boolean => step.uses?.split('@')[0] === action;

describe('one chain from the gate to the pushed image', () => {
  test('when ci.yml runs on main or a tag, then the release needs every other check of the run', () => {
    expect(ci.on).toHaveProperty('push');
    const releaseJob = ci.jobs.release!;
    expect(releaseJob.uses).toBe('./.github/workflows/release.yml');
    // The PR comment is the one job that is no check (it runs only on pull requests).
    const checks = Object.keys(ci.jobs).filter((job) => job !== 'release' && job !== 'comment');
    expect(needsOf(releaseJob).sort()).toEqual(checks.sort());
    expect(releaseJob.if).toBe("github.event_name == 'push'");
  });

  test(
    'when release.yml is read, then only a workflow_call (ci.yml after its checks) can start a push, and nothing ' +
      'builds there',
    () => {
      expect(Object.keys(release.on)).toEqual(['workflow_call']);
      const builds = Object.values(workflows).flatMap((wf) =>
        Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).filter((s) => usesAction(s, 'docker/build-push-action'))),
      );
      expect(builds.map((s) => s.with?.push)).toEqual([false]);
      const pushes = allSteps.filter(({ step }) => /\bdocker push\b/.test(scriptText(step)));
      expect(pushes.map(({ file, job }) => `${file}:${job}`)).toEqual(['release.yml:image']);
    },
  );

  test(
    'when the release pushes, then it pushes the image ci.yml smoke-tested, saved only after the smoke test and ' +
      'the k6 run',
    () => {
      const image = ci.jobs.image!.steps!;
      const save = image.findIndex((s) => s.run?.includes('save-tested-image.sh mlship-api:ci'));
      const upload = image.findIndex(
        (s) => usesAction(s, 'actions/upload-artifact') && s.with?.name === 'tested-image',
      );
      const smoke = image.findIndex((s) => s.run?.includes('container-smoke.sh mlship-api:ci'));
      const k6Verdict = image.findIndex((s) => s.if === "steps.k6.outcome == 'failure'");
      expect(Math.min(save, upload, smoke, k6Verdict)).toBeGreaterThanOrEqual(0);
      expect(save).toBeGreaterThan(Math.max(smoke, k6Verdict));
      expect(upload).toBeGreaterThan(save);
      expect([image[save]!.if, image[upload]!.if]).toEqual([
        "github.event_name == 'push'",
        "github.event_name == 'push'",
      ]);
      const steps = release.jobs.image!.steps!;
      const download = steps.findIndex(
        (s) => usesAction(s, 'actions/download-artifact') && s.with?.name === 'tested-image',
      );
      const push = steps.findIndex((s) => s.id === 'push');
      expect(download).toBeGreaterThanOrEqual(0);
      expect(push).toBeGreaterThan(download);
      expect(steps[push]!.env?.EXPECTED_MODELS).toBe('${{ steps.provenance.outputs.json }}');
      expect(steps[push]!.run).toContain('push-tested-image.sh "$RUNNER_TEMP/tested-image"');
    },
  );

  test(
    'when the model job gates, then the registry it uploads ' + 'for the image is uploaded only after the gate passed',
    () => {
      const steps = ci.jobs.model!.steps!;
      const gate = steps.findIndex((s) => s.run === 'npm run gate');
      const action = steps.findIndex((s) => s.uses === './.github/actions/model-gate');
      const upload = steps.findIndex(
        (s) => usesAction(s, 'actions/upload-artifact') && s.with?.name === 'gated-registry',
      );
      expect([gate, action, upload].every((i) => i >= 0)).toBe(true);
      expect(upload).toBeGreaterThan(Math.max(gate, action));
      expect(steps[upload]!.if).toBeUndefined();
      expect(steps[upload]!.with?.path).toBe('model/artifacts/');
    },
  );

  test(
    'when an image is built, then its models come from the ' +
      'gated registry with their provenance, never from training',
    () => {
      const builds = allSteps.filter(({ step }) => usesAction(step, 'docker/build-push-action'));
      expect(builds.map(({ file, job }) => `${file}:${job}`).sort()).toEqual(['ci.yml:image']);
      for (const { file, job, step } of builds) {
        const steps = workflows[file]!.jobs[job]!.steps!;
        const download = steps.find(
          (s) => usesAction(s, 'actions/download-artifact') && s.with?.name === 'gated-registry',
        );
        // docker/Dockerfile copies model/artifacts from the build context: the download must land there.
        expect([file, download?.with?.path, step.with?.context]).toEqual([file, 'model/artifacts', '.']);
        expect(steps.indexOf(download!)).toBeLessThan(steps.indexOf(step));
        expect([file, String(step.with?.['build-args'])]).toEqual([
          file,
          expect.stringContaining('MODEL_PROVENANCE=${{ steps.provenance.outputs.json }}'),
        ]);
        expect(steps.find((s) => s.id === 'provenance')?.run).toBe(
          'bash .github/scripts/model-provenance.sh model/artifacts',
        );
      }
      expect(needsOf(ci.jobs.image!)).toContain('model');
    },
  );

  test("when any workflow step trains, then it is the model job of ci.yml or train.yml's own training", () => {
    const training = allSteps.filter(({ step }) =>
      /\bnpm run train\b|train\.js|job\/train|delete job train/.test(scriptText(step)),
    );
    const allowed = training.filter(
      ({ file, job }) => (file === 'ci.yml' && job === 'model') || (file === 'train.yml' && job === 'train'),
    );
    expect(
      training
        .filter((t) => !allowed.includes(t))
        .map(({ file, job, step }) => `${file}:${job}: ${step.name ?? step.run}`),
    ).toEqual([]);
    expect(training.length).toBeGreaterThan(0);
  });

  test('when a model release is pushed, then every model.json is attested beside the image', () => {
    const attest = release.jobs.image!.steps!.filter((s) => usesAction(s, 'actions/attest-build-provenance'));
    expect(attest.map((s) => s.with?.['subject-path'] ?? s.with?.['subject-digest'])).toEqual([
      '${{ steps.push.outputs.digest }}',
      'model/artifacts/*/*/model.json',
    ]);
  });
});

describe('train.yml proposes, review and CI ship', () => {
  const train = workflows['train.yml']!;
  test('when dispatched, then it trains from the configuration, gates against main and opens a pull request', () => {
    expect(Object.keys(train.on)).toEqual(['workflow_dispatch']);
    const steps = train.jobs.train!.steps!;
    expect(
      steps.map((s) => s.run ?? '').filter((r) => /npm run train/.test(r) && /--data|--label|--promote/.test(r)),
    ).toEqual([]);
    expect(steps.find((s) => s.uses === './.github/actions/model-gate')?.with?.['baseline-dir']).toBe(
      'baseline/model/artifacts',
    );
    const pr = train.jobs['pull-request']!;
    expect(needsOf(pr)).toEqual(['train']);
    expect(scriptText(pr.steps!.at(-1)!)).toMatch(
      /gh pr create --base "\$BASE" --head "\$branch" .*--body-file "\$body"/,
    );
    expect(steps.find((s) => s.name === 'Pull request body')?.run).toBe(
      'bash .github/scripts/train-pr-body.sh "$MODEL" model/artifacts reports/pr-body.md',
    );
  });
});

describe('deploys verify lineage', () => {
  test(
    'when any deploy target runs, then a lineage check ' + 'compares the API with the image label before it succeeds',
    () => {
      for (const [name, job] of Object.entries(deploy.jobs)) {
        const text = (job.steps ?? []).map(scriptText).join('\n');
        expect([name, /npm run -s lineage -- --url \S+ (--image|--expected) /.test(text)]).toEqual([name, true]);
      }
      const aca = deploy.jobs.aca!.steps!.find((s) => s.id === 'deploy')!;
      expect(aca.run).toContain('--expect-models "$EXPECTED_MODELS"');
      expect(aca.env?.EXPECTED_MODELS).toBe('${{ steps.models.outputs.json }}');
    },
  );

  test('when a lineage check fails, then the deploy rolls back', () => {
    for (const [name, job] of Object.entries(deploy.jobs)) {
      const steps = job.steps ?? [];
      const lineage = steps.findIndex((s) => /lineage/.test(scriptText(s)));
      const rollback = steps.findIndex(
        (s, i) =>
          i > lineage &&
          /failure\(\)/.test(s.if ?? '') &&
          /rollout undo|deploy(-kubernetes)?\.sh --rollback/.test(s.run ?? ''),
      );
      const inScript = /\|\| roll_?back "lineage check failed/.test(scriptText(steps[lineage]!));
      expect([name, rollback > lineage || inScript]).toEqual([name, true]);
    }
  });
});

describe('the kubernetes deploy target', () => {
  test('when chosen, then it deploys the production overlay by digest with secrets, rollout status and undo', () => {
    const inputs = (deploy.on.workflow_dispatch as { inputs: { target: { options: string[] } } }).inputs;
    expect(inputs.target.options).toContain('kubernetes');
    const job = deploy.jobs.kubernetes!;
    expect(job.if).toBe("inputs.target == 'kubernetes'");
    expect(typeof job.environment === 'object' && job.environment.url).toBeTruthy();
    const env = Object.assign({}, ...job.steps!.map((s) => s.env ?? {})) as Record<string, string>;
    expect(env).toMatchObject({
      KUBECONFIG_TEXT: '${{ secrets.KUBECONFIG }}',
      MONITORING_TOKEN: '${{ secrets.MONITORING_TOKEN }}',
      MLSHIP_USERS_FILE: '${{ secrets.MLSHIP_USERS_FILE }}',
    });
    const script = readFileSync(join(SCRIPTS_DIR, 'deploy-kubernetes.sh'), 'utf8');
    expect(job.steps!.map((s) => s.run).join('\n')).toContain('bash .github/scripts/deploy-kubernetes.sh "$IMAGE"');
    for (const piece of [
      'k8s/overlays/production',
      'kustomize edit set image "mlship.invalid/mlship=$image"',
      'check-no-placeholder.sh',
      '@sha256:[a-f0-9]{64}$',
      'rollout status deployment/api',
      'rollout undo "deployment/$deployment"',
      'secrets.env',
      'users.txt',
    ]) {
      expect([piece, script.includes(piece)]).toEqual([piece, true]);
    }
  });
});

describe('GitHub-side fixes (#13)', () => {
  test(
    'when the kind job loads the image, ' + "then it loads one platform's archive, not an index with attestations",
    () => {
      const runs = deploy.jobs.kind!.steps!.map((s) => s.run ?? '').join('\n');
      expect(runs).not.toMatch(/kind load docker-image/);
      expect(runs).toMatch(
        /docker image save --platform linux\/amd64 -o "\$RUNNER_TEMP\/mlship-image\.tar" "\$LOCAL"\n\s*kind load image-archive "\$RUNNER_TEMP\/mlship-image\.tar"/,
      );
    },
  );

  // The GitHub set-up lives in docs/github.md; the README and any page may state it.
  const docs = readAllDocPages();
  const subjects = new Set([...docs.matchAll(/repo:<owner>\/<repo>:environment:(\w+)/g)].map((m) => m[1]!));

  test(
    'when a job logs in to Azure by OIDC, ' + 'then it runs in an environment the docs give a federated credential',
    () => {
      const logins = Object.entries(workflows).flatMap(([file, wf]) =>
        Object.entries(wf.jobs)
          .filter(([, j]) => (j.steps ?? []).some((s) => usesAction(s, 'azure/login')))
          .map(([name, j]) => ({ file, name, j })),
      );
      expect(logins.length).toBeGreaterThan(0);
      for (const { file, name, j } of logins) {
        const env = typeof j.environment === 'object' ? j.environment.name : j.environment;
        const names =
          env === '${{ inputs.environment }}'
            ? (workflows[file]!.on.workflow_dispatch as { inputs: { environment: { options: string[] } } }).inputs
                .environment.options
            : [env];
        for (const n of names)
          expect([`${file}:${name}`, n, subjects.has(n ?? '')]).toEqual([`${file}:${name}`, n, true]);
      }
    },
  );

  test('when a job reads LOADTEST_USER, then it runs in an environment (where the docs put that secret)', () => {
    const jobs = Object.entries(workflows).flatMap(([file, wf]) =>
      Object.entries(wf.jobs)
        .filter(([, j]) => JSON.stringify(j.steps ?? []).includes('secrets.LOADTEST_USER'))
        .map(([name, j]) => [`${file}:${name}`, !!j.environment]),
    );
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.filter(([, has]) => !has)).toEqual([]);
  });

  test('when k6 is installed, then every setup-k6-action pins the same k6 version', () => {
    const versions = allSteps
      .filter(({ step }) => usesAction(step, 'grafana/setup-k6-action'))
      .map(({ step }) => String(step.with?.['k6-version']));
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test(
    'when an attestation cannot be recorded (private repository, plan without them), then the release warns ' +
      'instead of failing',
    () => {
      const steps = release.jobs.image!.steps!;
      const attest = steps.filter((s) => usesAction(s, 'actions/attest-build-provenance'));
      expect(attest.every((s) => s['continue-on-error'] === true && s.id)).toBe(true);
      const warn = steps.find((s) => attest.every((a) => (s.if ?? '').includes(`steps.${a.id}.outcome == 'failure'`)));
      expect(warn?.run).toContain('::warning');
      expect(docs).toMatch(/attestations?[^\n]*(private|plan)/i);
    },
  );
});
