import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * .github/scripts/image-ref.sh, which every deploy target runs on the `image` input: a tag or a
 * digest of the release repository, or a full reference to another registry (a mirror, the local
 * registry a rehearsal pushes to). Anything else is refused in one line, before any pull.
 */
const SCRIPT = join(__dirname, '..', 'scripts', 'image-ref.sh');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function imageRef(wanted: string): { code: number; stdout: string; stderr: string; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'image-ref-'));
  const outputFile = join(dir, 'output');
  try {
    const result = spawnSync('bash', [SCRIPT, 'ghcr.io/Octo-Org/mlship', wanted], {
      encoding: 'utf8',
      env: { ...process.env, GITHUB_OUTPUT: outputFile },
    });
    let output = '';
    try {
      output = readFileSync(outputFile, 'utf8');
    } catch {
      output = '';
    }
    return { code: result.status ?? 1, stdout: result.stdout.trim(), stderr: result.stderr.trim(), output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('image-ref.sh', () => {
  it.each([
    ['sha-1a2b3c4', 'ghcr.io/octo-org/mlship:sha-1a2b3c4'],
    ['1.2.0', 'ghcr.io/octo-org/mlship:1.2.0'],
    [DIGEST, `ghcr.io/octo-org/mlship@${DIGEST}`],
    ['127.0.0.1:5000/mlship:ci', '127.0.0.1:5000/mlship:ci'],
    [`127.0.0.1:5000/mlship@${DIGEST}`, `127.0.0.1:5000/mlship@${DIGEST}`],
    ['registry.example.com/team/ml-ship:1.2.0', 'registry.example.com/team/ml-ship:1.2.0'],
    ['localhost/mlship:dev', 'localhost/mlship:dev'],
  ])('turns %s into %s and writes it as the step output ref', (wanted, ref) => {
    const run = imageRef(wanted);
    expect(run).toMatchObject({ code: 0, stdout: ref, output: `ref=${ref}\n` });
  });

  it.each([
    ['a Docker Hub path (no registry host)', 'library/mlship:1'],
    ['a reference without tag or digest', 'ghcr.io/owner/mlship'],
    ['upper case in the repository', 'ghcr.io/Owner/mlship:1'],
    ['a short digest', `ghcr.io/owner/mlship@sha256:${'ab'.repeat(8)}`],
    ['shell text', 'ghcr.io/owner/mlship:1;rm'],
    ['a tag with a leading dot', '.hidden'],
  ])('refuses %s in one line with no output', (_why, wanted) => {
    const run = imageRef(wanted);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`"${wanted}" is neither a tag`);
    expect(run.output).toBe('');
  });
});
