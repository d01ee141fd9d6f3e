/**
 * Runs k8s/azure/deploy.sh against a recording stand-in for az, curl and npm (fake-cli.sh): Azure
 * is unreachable here, so each scenario says what az answers and the test reads which commands
 * the script ran, in order.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { K8S_DIR } from './render';

export const SCRIPT = join(K8S_DIR, 'azure', 'deploy.sh');
const FAKE = join(K8S_DIR, 'test', 'support', 'fake-cli.sh');
const DIGEST = 'cd'.repeat(32);
export const IMAGE = `ghcr.io/acme/mlship@sha256:${DIGEST}`;
export const NEW_V1 = 'mlship--v1-cdcdcdcd-a2';
export const NEW_V2 = 'mlship--v2-cdcdcdcd-a2';
export const OLD_V1 = 'mlship--v1-abababab-a1';
export const OLD_V2 = 'mlship--v2-abababab-a1';

/** How the stand-in answers the calls that contain every `match` string (see fake-cli.sh). */
export interface Rule {
  match: string[];
  stdout?: string;
  exit?: number;
  times?: number;
  pause?: number;
}
export interface TrafficEntry {
  revisionName?: string;
  latestRevision?: boolean;
  weight: number;
  label?: string;
}
export interface Run {
  status: number | null;
  out: string;
  calls: string[];
  yaml?: {
    properties: { configuration: { ingress: { traffic: TrafficEntry[] } }; template: { revisionSuffix: string } };
  };
  outputs: string;
}

/** The answers of an app that exists and serves `traffic`, whose revisions are all healthy. */
export function liveApp(
  traffic: TrafficEntry[],
  revisions: string[] = traffic.map((t) => t.revisionName ?? ''),
): Rule[] {
  return [
    { match: ['az containerapp list'], stdout: 'yes' },
    {
      match: ['az containerapp show', 'latestRevisionName'],
      stdout: JSON.stringify({ latest: revisions.at(-1), traffic }),
    },
    { match: ['az containerapp revision list'], stdout: revisions.join('\n') },
    { match: ['az containerapp revision show', 'healthState'], stdout: 'Healthy' },
    { match: ['az containerapp revision show', 'fqdn'], stdout: 'revision.example.net' },
    { match: ['az containerapp show', 'ingress.fqdn'], stdout: 'app.example.net' },
  ];
}

export const STABLE_ONLY: TrafficEntry[] = [{ revisionName: OLD_V1, weight: 100, label: 'stable' }];
export const WITH_V2: TrafficEntry[] = [
  { revisionName: OLD_V1, weight: 90, label: 'stable' },
  { revisionName: OLD_V2, weight: 10, label: 'v2' },
];

/** A directory with the stand-ins on PATH and the scenario `rules` then `base`; `collect` reads what happened. */
export function sandbox(rules: Rule[], base: Rule[], env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-aca-'));
  for (const tool of ['az', 'curl', 'npm']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\nFAKE_TOOL=${tool} exec bash '${FAKE}' "$@"\n`, { mode: 0o755 });
  }
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify([...rules, ...base]));
  writeFileSync(join(dir, 'outputs'), '');
  const log = join(dir, 'calls');
  const calls = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  return {
    dir,
    calls,
    env: {
      PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      TMPDIR: dir,
      FAKE_LOG: log,
      FAKE_SCENARIO: join(dir, 'scenario.json'),
      GITHUB_OUTPUT: join(dir, 'outputs'),
      AZURE_RESOURCE_GROUP: 'rg',
      AZURE_CONTAINERAPP_ENV: 'env',
      AZURE_IDENTITY_ID:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mlship',
      AZURE_KEY_VAULT_URL: 'https://kv.vault.azure.net',
      AZURE_LOCATION: 'westeurope',
      GHCR_USERNAME: 'acme',
      DEPLOY_ATTEMPT: 'a2',
      HEALTH_TIMEOUT_SECONDS: '0',
      ...env,
    },
    collect(status: number | null, out: string): Run {
      try {
        const yaml = existsSync(`${log}.yaml`)
          ? (parse(readFileSync(`${log}.yaml`, 'utf8')) as Run['yaml'])
          : undefined;
        return { status, out, calls: calls(), yaml, outputs: readFileSync(join(dir, 'outputs'), 'utf8') };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const argv = (args: string[]): string[] => [
  SCRIPT,
  ...(args.includes('--rollback') ? [] : ['--image', IMAGE]),
  ...args,
];

/** Runs deploy.sh with `rules` first, then `base` (the first matching rule answers). */
export function deploy(
  args: string[],
  rules: Rule[],
  base: Rule[] = liveApp(STABLE_ONLY),
  env: Record<string, string> = {},
): Run {
  const box = sandbox(rules, base, env);
  const result = spawnSync('bash', argv(args), { encoding: 'utf8', env: box.env });
  return box.collect(result.status, `${result.stdout}${result.stderr}`);
}

/** The calls that change something (no show/list queries, no smoke requests). */
export const changes = (run: Run): string[] =>
  run.calls
    .filter((c) => c.startsWith('az ') && !/ (show|list) /.test(c))
    .map((c) => c.replace(/ -n mlship -g rg/, ''));
export const deactivated = (run: Run): string[] =>
  run.calls.filter((c) => c.includes('revision deactivate')).map((c) => c.split('--revision ')[1]!);
