import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { IMAGE_NAME } from './support/contract';
import type { Workspace } from './support/render';
import { K8S_DIR, makeWorkspace, renderCombination, ROOT, setImage } from './support/render';

/**
 * The image the manifests name until a deploy runs `kustomize edit set image`, and
 * k8s/scripts/check-no-placeholder.sh, which both deploy targets run before they apply: a render
 * that skipped the step must be refused, never pulled from whoever owns the name.
 */
const PLACEHOLDER = 'mlship.invalid/mlship';
const CHECK = join(K8S_DIR, 'scripts', 'check-no-placeholder.sh');
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const RELEASED = `ghcr.io/acme/mlship@${DIGEST}`;

function files(dir: string, match: RegExp): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'test' ? [] : files(path, match);
    return match.test(entry) ? [path] : [];
  });
}

function check(dir: string, expected?: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('bash', [CHECK, dir, ...(expected ? [expected] : [])], { encoding: 'utf8' });
}

let workspace: Workspace;
beforeAll(() => {
  workspace = makeWorkspace();
});
afterAll(() => workspace?.cleanup());

describe('the placeholder image name', () => {
  test(
    'when the manifests name the image before `kustomize edit set image`, then it is a name no registry serves ' +
      '(.invalid, RFC 2606)',
    () => {
      expect(IMAGE_NAME).toBe(PLACEHOLDER);
      const manifests = ['base', 'overlays', 'components'].flatMap((part) => files(join(K8S_DIR, part), /\.ya?ml$/));
      expect(manifests.length).toBeGreaterThan(10);
      for (const file of manifests) {
        for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
          const text = JSON.stringify(doc.toJS() ?? {});
          for (const [, image] of text.matchAll(/"image":"([^"]+)"/g))
            expect([relative(ROOT, file), image]).toEqual([relative(ROOT, file), PLACEHOLDER]);
          const images = (doc.toJS() as { images?: Array<{ name: string }> } | null)?.images ?? [];
          for (const { name } of images)
            expect([relative(ROOT, file), name]).toEqual([relative(ROOT, file), PLACEHOLDER]);
        }
      }
    },
  );

  test(
    'when the deploy files and docs are read, then none names the old, ' +
      'claimable ghcr.io/mlship/mlship as an image',
    () => {
      const read = [
        ...files(K8S_DIR, /\.(ya?ml|sh|md|ts|js)$/),
        ...files(join(K8S_DIR, 'test', 'support'), /\.ts$/),
        join(ROOT, '.github', 'workflows', 'deploy.yml'),
        join(ROOT, '.github', 'scripts', 'deploy-kubernetes.sh'),
        join(ROOT, 'docs', 'kubernetes.md'),
      ];
      expect(
        read
          .filter((file) => readFileSync(file, 'utf8').includes('ghcr.io/mlship/mlship'))
          .map((f) => relative(ROOT, f)),
      ).toEqual([]);
    },
  );
});

describe('check-no-placeholder.sh', () => {
  test(
    'when the kind overlay is rendered as committed, then it refuses in one line naming the placeholder and the ' +
      'workloads',
    () => {
      const result = check(join(workspace.dir, 'overlays', 'kind'));
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(
        /^check-no-placeholder: .*overlays\/kind still runs the placeholder image mlship\.invalid\/mlship in Deployment\/api, Deployment\/api-v2: `kustomize edit set image mlship\.invalid\/mlship=<image>` did not reach it; nothing is applied\n$/,
      );
    },
  );

  test(
    'when production with retraining is rendered unpinned, ' + 'then the Job and the init containers are named too',
    () => {
      renderCombination(workspace, 'production', ['retraining']);
      const result = check(join(workspace.dir, 'combinations', 'production+retraining'));
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('in Deployment/api, Deployment/api-v2, Job/train:');
    },
  );

  test(
    "when `kustomize edit set image` pinned the digest, then every component's containers pass, with or without " +
      'the expected image',
    () => {
      const pinned = makeWorkspace();
      try {
        setImage(pinned, 'production', IMAGE_NAME, 'ghcr.io/acme/mlship', DIGEST);
        renderCombination(pinned, 'production', ['monitoring', 'keda', 'retraining']);
        const dir = join(pinned.dir, 'combinations', 'production+monitoring+keda+retraining');
        const result = check(dir, RELEASED);
        expect([result.status, result.stderr]).toEqual([0, '']);
        expect(result.stdout).toBe(`check-no-placeholder: every container of ${dir} runs ${RELEASED}\n`);
        expect(check(dir).status).toBe(0);
        const other = check(dir, `ghcr.io/acme/mlship@sha256:${'ef'.repeat(32)}`);
        expect(other.status).toBe(1);
        expect(other.stderr).toMatch(
          /: Deployment\/api runs ghcr\.io\/acme\/mlship@sha256:cdcd.*, not ghcr\.io\/acme\/mlship@sha256:efef.*; nothing is applied\n$/,
        );
      } finally {
        pinned.cleanup();
      }
    },
  );

  test("when a ConfigMap's text reads like an image, then only real image fields count", () => {
    const dir = join(workspace.dir, 'notes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), `a note\n  image: ${PLACEHOLDER}\n- image: ${PLACEHOLDER}:dev\n`);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: RELEASED }] },
    };
    writeFileSync(join(dir, 'pod.yaml'), JSON.stringify(pod));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      'resources: [pod.yaml]\nconfigMapGenerator:\n  - name: notes\n    files: [notes.txt]\n',
    );
    expect(check(dir, RELEASED)).toMatchObject({ status: 0, stderr: '' });
  });

  test('when the kustomization does not render, then it says so in one line', () => {
    const result = check(join(workspace.dir, 'no-such-overlay'));
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^check-no-placeholder: kubectl kustomize .*no-such-overlay failed: /);
  });
});

describe('deploy.yml, kind job', () => {
  interface Step {
    name?: string;
    run?: string;
    env?: Record<string, string>;
    'working-directory'?: string;
  }
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
    jobs: Record<string, { steps: Step[] }>;
  };
  const steps = workflow.jobs.kind!.steps;

  test('when the image is loaded, then its local tag is not the placeholder and cannot resolve either', () => {
    const local = steps.find((s) => s.env?.LOCAL && !s.env.LOCAL.startsWith('${{'))!.env!.LOCAL!;
    expect(local).toMatch(/^[a-z0-9-]+\.invalid\/mlship:deploy-\$\{\{ github\.run_id \}\}$/);
    expect(local.startsWith(`${PLACEHOLDER}:`)).toBe(false);
  });

  test('when the overlay is pointed at the image, then the render is checked before the apply', () => {
    const setImage = steps.findIndex(
      (s) =>
        s.run === `kustomize edit set image "${PLACEHOLDER}=$LOCAL"` && s['working-directory'] === 'k8s/overlays/kind',
    );
    const checked = steps.findIndex(
      (s) => s.run === 'bash k8s/scripts/check-no-placeholder.sh k8s/overlays/kind "$LOCAL"',
    );
    const apply = steps.findIndex((s) => s.run?.includes('kubectl apply -k k8s/overlays/kind'));
    expect(setImage).toBeGreaterThanOrEqual(0);
    expect(checked).toBeGreaterThan(setImage);
    expect(apply).toBeGreaterThan(checked);
  });
});
