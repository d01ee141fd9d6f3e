/**
 * The release's push, for real: the image the e2e built is saved with save-tested-image.sh (as
 * ci.yml's image job saves what it smoke-tested) and pushed to the local registry with
 * push-tested-image.sh (as release.yml pushes it), which checks the image ID, the model label and
 * every pushed manifest's config. An archive whose recorded ID is another image's, and a label that
 * is not the gated registry's, are refused before anything is pushed.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProvenance, registryProvenance } from '../../model/src/provenance';
import { DEFAULT_REGISTRY } from '../image';
import { run } from './processes';
import { ROOT } from '../../scripts/support/repo-root';

/** One recorded check: what was asserted, whether it held, and what was seen. */
export type RecordCheck = (name: string, passed: boolean, detail: string) => void;

const script = (name: string): string => join(ROOT, '.github', 'scripts', name);

/** Pushes `tag` the release's way; returns the digest push-tested-image.sh wrote as its output. */
export function pushAsReleased(tag: string, dir: string, record: RecordCheck): string {
  const tested = join(dir, 'tested-image');
  run('bash', [script('save-tested-image.sh'), tag, tested], { cwd: ROOT, timeoutMs: 300_000 });
  const expected = formatProvenance(registryProvenance(DEFAULT_REGISTRY));
  const refused = (archive: string, models: string): string => {
    const result = run('bash', [script('push-tested-image.sh'), archive, `${tag}-refused`], {
      cwd: ROOT,
      okCodes: [0, 1],
      env: { ...process.env, EXPECTED_MODELS: models },
    });
    return result.stderr.trim();
  };
  const other = join(dir, 'tested-image-other-id');
  mkdirSync(other, { recursive: true });
  cpSync(tested, other, { recursive: true });
  writeFileSync(join(other, 'image-id'), `sha256:${'0'.repeat(64)}\n`);
  const wrongId = refused(other, expected);
  const wrongModels = refused(tested, '[{"name":"M1","version":"000000000000","sha256":"0"}]');
  record(
    'when the archive is not the tested image or its label is not the gated registry, then the release pushes nothing',
    /does not hold the tested image/.test(wrongId) && /label is not this run's gated registry/.test(wrongModels),
    `${wrongId.split('\n').pop()} | ${wrongModels.split('\n').pop()}`,
  );
  const outputs = join(dir, 'push-output');
  writeFileSync(outputs, '');
  const pushed = run('bash', [script('push-tested-image.sh'), tested, tag], {
    cwd: ROOT,
    timeoutMs: 300_000,
    env: { ...process.env, EXPECTED_MODELS: expected, GITHUB_OUTPUT: outputs },
  });
  const digest = /^digest=(sha256:[0-9a-f]{64})$/m.exec(readFileSync(outputs, 'utf8'))?.[1];
  const id = readFileSync(join(tested, 'image-id'), 'utf8').trim();
  record(
    'when the release pushes the tested image, then the pushed manifest names the tested image ID',
    Boolean(digest) && pushed.stdout.includes(`(tested image ${id})`),
    pushed.stdout.trim(),
  );
  if (!digest) throw new Error(`push-tested-image.sh wrote no digest output:\n${pushed.stdout}${pushed.stderr}`);
  return digest;
}
