import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelArtifact } from './artifact';
import { readMetrics, versionDir } from './registry-files';
import { ArtifactError, InputError } from './errors';
import { currentVersion, listModelNames, loadPromoted } from './registry';

/**
 * What one promoted model is, in the few fields that prove it: the image records these in its
 * `io.mlship.models` label, and every deploy compares them with what the running API reports.
 */
export interface ModelProvenance {
  name: string;
  version: string;
  sha256: string;
  dataSha256: string;
  accuracy: number;
}

const ProvenanceSchema = z.array(
  z.strictObject({
    name: z.string().min(1),
    version: z.string().regex(/^[0-9a-f]{12}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    dataSha256: z.string().regex(/^[0-9a-f]{64}$/),
    accuracy: z.number().min(0).max(1),
  }),
);

/** The image label that carries a registry's provenance. */
export const PROVENANCE_LABEL = 'io.mlship.models';

/**
 * Loads and verifies the promoted version of `name` beyond its own digest: the directory it sits
 * in must be the name and version it records, and its metrics.json must describe the same model.
 * A version copied under another name or a metrics file from another run is caught here.
 */
export function verifyPromoted(modelDir: string, name: string): ModelArtifact {
  const artifact = loadPromoted(modelDir, name);
  const dir = versionDir(modelDir, name, currentVersion(modelDir, name) as string);
  if (artifact.name !== name || join(modelDir, name, artifact.version) !== dir) {
    throw new ArtifactError(
      join(dir, 'model.json'),
      `records ${artifact.name}@${artifact.version}, but sits in ${dir}`,
    );
  }
  const metrics = readMetrics(join(dir, 'metrics.json'));
  if (metrics.modelSha256 !== artifact.sha256 || metrics.version !== artifact.version) {
    throw new ArtifactError(
      join(dir, 'metrics.json'),
      `describes ${metrics.name}@${metrics.version}, not the model.json beside it`,
    );
  }
  return artifact;
}

/** Provenance of one artifact. */
export function provenanceOf(artifact: ModelArtifact): ModelProvenance {
  return {
    name: artifact.name,
    version: artifact.version,
    sha256: artifact.sha256,
    dataSha256: artifact.dataset.sha256,
    accuracy: artifact.scores.accuracy,
  };
}

/** Verifies every promoted model of a registry and returns their provenance, sorted by name. */
export function registryProvenance(modelDir: string): ModelProvenance[] {
  const names = listModelNames(modelDir).filter((name) => currentVersion(modelDir, name));
  if (names.length === 0) throw new InputError(`no promoted model in ${modelDir} (run \`npm run train -- --promote\`)`);
  return names.map((name) => provenanceOf(verifyPromoted(modelDir, name)));
}

/** Provenance as one line of JSON, keys in a fixed order: the exact text of the image label. */
export function formatProvenance(models: readonly ModelProvenance[]): string {
  return JSON.stringify(
    models.map(({ name, version, sha256, dataSha256, accuracy }) => ({ name, version, sha256, dataSha256, accuracy })),
  );
}

/** Parses provenance JSON (a label, a flag); `from` names where it came from in the error. */
export function parseProvenance(text: string, from: string): ModelProvenance[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InputError(`${from} is not JSON: expected the one-line output of \`npm run -s registry -- provenance\``);
  }
  const parsed = ProvenanceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${from}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** A model as a running API reports it (`/status`). */
export interface ServedIdentity {
  name: string;
  version: string;
  sha256?: string;
}

/**
 * Compares what an API serves with a provenance record: every served model must be recorded with
 * the same version and sha256, and, when the API serves every promoted model (`allPromoted`: its
 * MODELS is unset), every recorded model must be served. Returns one line per mismatch (empty when
 * the lineage holds).
 */
export function lineageMismatches(
  expected: readonly ModelProvenance[],
  served: readonly ServedIdentity[],
  allPromoted = false,
): string[] {
  if (served.length === 0) return ['the API reports no served model'];
  const byName = new Map(expected.map((m) => [m.name, m]));
  const problems: string[] = [];
  for (const model of served) {
    const recorded = byName.get(model.name);
    if (!recorded)
      problems.push(`${model.name}: served, but not in the recorded models (${[...byName.keys()].join(', ')})`);
    else if (recorded.version !== model.version)
      problems.push(`${model.name}: serves version ${model.version}, recorded ${recorded.version}`);
    else if (recorded.sha256 !== model.sha256)
      problems.push(
        `${model.name}@${model.version}: serves sha256 ${model.sha256 ?? '(none reported)'}, recorded ` +
          `${recorded.sha256}`,
      );
  }
  if (!allPromoted) return problems;
  const servedNames = new Set(served.map((m) => m.name));
  for (const model of expected) {
    if (!servedNames.has(model.name))
      problems.push(
        `${model.name}@${model.version}: recorded, but not served by an API that serves every promoted model (` +
          `${[...servedNames].join(', ')})`,
      );
  }
  return problems;
}

/**
 * Copies the promoted version of every model (its version directory and a `current` pointer) into
 * `outDir`, after verifying each and checking the registry against `expected` exactly: the same
 * models, versions, sha256, data sha256 and accuracy. This is what the image build runs, so an
 * image holds exactly the models its label names, and nothing else.
 */
export function exportVerified(
  modelDir: string,
  outDir: string,
  expected: readonly ModelProvenance[],
): ModelProvenance[] {
  const actual = registryProvenance(modelDir);
  if (
    formatProvenance(actual) !==
    formatProvenance([...expected].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
  ) {
    throw new InputError(
      `the registry in ${modelDir} is not the one MODEL_PROVENANCE records: it holds ${formatProvenance(actual)}`,
    );
  }
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new InputError(`${outDir} is not empty`);
  for (const model of actual) {
    mkdirSync(join(outDir, model.name), { recursive: true });
    cpSync(versionDir(modelDir, model.name, model.version), versionDir(outDir, model.name, model.version), {
      recursive: true,
    });
    cpSync(join(modelDir, model.name, 'current'), join(outDir, model.name, 'current'));
    cpSync(join(modelDir, model.name, 'current'), join(outDir, model.name, 'history'));
  }
  // Read back what was written: the copy, not the source, is what ships.
  const copied = registryProvenance(outDir);
  if (formatProvenance(copied) !== formatProvenance(actual))
    throw new ArtifactError(outDir, 'the copy differs from the registry it was made from');
  return actual;
}
