/**
 * The deploy-time lineage check: does the running API serve exactly the models its image records?
 *
 *   npm run -s lineage -- --url https://api.example.com --image ghcr.io/o/mlship@sha256:…
 *   npm run -s lineage -- --url http://127.0.0.1:8000 --expected "$(npm run -s registry -- provenance)"
 *
 * `--image` reads the `io.mlship.models` label with `docker image inspect` (the image must be
 * local); `--expected` takes the label's JSON itself (read from a registry without pulling, e.g.
 * `docker buildx imagetools inspect`). It GETs `<url>/status` (no credentials needed): every
 * served model must be recorded, and when the API serves every promoted model (MODELS unset, as
 * deploys run it) every recorded model must be served. It exits 0
 * with one line naming the versions, 1 with one line per mismatch, 2 on bad input or an
 * unreachable API.
 */
import { spawnSync } from 'node:child_process';
import { parseFlags, runCli } from '../model/src/cli';
import { InputError } from '../model/src/errors';
import type { ModelProvenance, ServedIdentity } from '../model/src/provenance';
import { lineageMismatches, parseProvenance, PROVENANCE_LABEL } from '../model/src/provenance';

const USAGE =
  'npm run -s lineage -- --url <API base URL> (--image <ref> | --expected <provenance JSON>) [--timeout-ms 10000]';

function labelOf(image: string): ModelProvenance[] {
  const docker = process.env.DOCKER || 'docker';
  const inspect = spawnSync(docker, ['image', 'inspect', '--format', '{{json .Config.Labels}}', image], {
    encoding: 'utf8',
  });
  if (inspect.error || inspect.status !== 0) {
    throw new InputError(
      `cannot inspect image ${image}: ${(inspect.stderr || inspect.error?.message || '').trim().split('\n')[0]}`,
    );
  }
  const labels = JSON.parse(inspect.stdout) as Record<string, string> | null;
  const label = labels?.[PROVENANCE_LABEL];
  if (!label)
    throw new InputError(
      `image ${image} has no ${PROVENANCE_LABEL} label: it was ` +
        `not built by \`npm run image:build\` or the CI image job`,
    );
  return parseProvenance(label, `the ${PROVENANCE_LABEL} label of ${image}`);
}

/** What `/status` reports: the served models, and whether they are every promoted one (MODELS unset). */
interface Served {
  models: ServedIdentity[];
  allPromoted: boolean;
}

async function servedModels(url: string, timeoutMs: number): Promise<Served> {
  const statusUrl = new URL('status', url.endsWith('/') ? url : `${url}/`).href;
  let response: Response;
  try {
    response = await fetch(statusUrl, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new InputError(`cannot reach ${statusUrl}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new InputError(`${statusUrl} answered ${response.status}`);
  const body = (await response.json().catch(() => ({}))) as { models?: ServedIdentity[]; servesAllPromoted?: boolean };
  if (!Array.isArray(body.models)) throw new InputError(`${statusUrl} has no "models" list: is this an mlship API?`);
  // An API from before MODELS served a fixed pair: only what it serves can be checked.
  return { models: body.models, allPromoted: body.servesAllPromoted === true };
}

async function main(): Promise<number> {
  const { values, positionals } = parseFlags(
    {
      url: { type: 'string' },
      image: { type: 'string' },
      expected: { type: 'string' },
      'timeout-ms': { type: 'string', default: '10000' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new InputError(`unexpected argument "${positionals[0]}"; usage: ${USAGE}`);
  if (!values.url) throw new InputError(`--url is required; usage: ${USAGE}`);
  if (Boolean(values.image) === Boolean(values.expected))
    throw new InputError(`give exactly one of --image and --expected; usage: ${USAGE}`);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new InputError(`--timeout-ms must be a positive integer, got "${values['timeout-ms']}"`);

  const expected = values.image ? labelOf(values.image) : parseProvenance(values.expected as string, '--expected');
  const { models: served, allPromoted } = await servedModels(values.url, timeoutMs);
  const problems = lineageMismatches(expected, served, allPromoted);
  for (const problem of problems) console.error(`lineage mismatch: ${problem}`);
  if (problems.length > 0) return 1;
  const byName = new Map(expected.map((m) => [m.name, m]));
  const servedList = served
    .map((m) => `${m.name}@${m.version} (sha256 ${m.sha256}, data ${byName.get(m.name)?.dataSha256.slice(0, 12)}…)`)
    .join(', ');
  console.log(
    `lineage ok: ${values.url} serves ${servedList}, as ${values.image ? `image ${values.image} records` : 'recorded'}`,
  );
  return 0;
}

runCli(main);
