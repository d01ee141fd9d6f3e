import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';

/**
 * The classic dashboard JSON model in @grafana/schema. The raw generated types are used rather
 * than the veneer (`Dashboard` from the package root): the veneer redeclares DataSourceRef and
 * ts-json-schema-generator refuses it (TSJ 103, "multiple definitions").
 */
const DASHBOARD_TYPES = 'dist/types/raw/dashboard/x/types.gen.d.ts';

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/**
 * The JSON schema of a Grafana dashboard, generated from @grafana/schema's TypeScript types.
 * Generation takes a few seconds, so the result is cached in `cacheDir`, keyed by the versions of
 * @grafana/schema and the generator (a new version of either regenerates it).
 */
export function dashboardSchema(cacheDir: string = tmpdir()): Record<string, unknown> {
  const key = `grafana-schema-${packageVersion('@grafana/schema')}-tsjsg-${packageVersion('ts-json-schema-generator')}`;
  const cacheFile = join(cacheDir, 'mlship-grafana-schema', `${key}-dashboard.schema.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, unknown>;

  const typesFile = join(dirname(require.resolve('@grafana/schema/package.json')), DASHBOARD_TYPES);
  const schema = createGenerator({ path: typesFile, type: 'Dashboard', skipTypeCheck: true }).createSchema('Dashboard');
  mkdirSync(dirname(cacheFile), { recursive: true });
  // Write then rename, so a parallel test worker never reads a half-written cache file.
  const staging = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(staging, JSON.stringify(schema));
  renameSync(staging, cacheFile);
  return schema as Record<string, unknown>;
}
