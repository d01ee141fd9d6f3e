import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../api/src/config';
import { parseDuration } from '../../loadtest/src/scenario/duration';
import { loadScenario } from '../../loadtest/src/scenario/load';
import type { Scenario } from '../../loadtest/src/scenario/types';
import type { K8sObject, Workspace } from './support/render';
import { makeWorkspace, renderCombination, ROOT } from './support/render';

/**
 * deploy.yml's kind job runs the k6 scenario the dispatch picks against the kind overlay. Every
 * request comes from one user (the k6 script's API_USER, alice on kind), and kube-proxy spreads
 * connections, not requests, so one pod may see all of them: each scenario it offers must stay
 * under the overlay's RATE_LIMIT_PER_MINUTE (per user, per pod) at its peak, or 429s fail it.
 */
interface Workflow {
  on: { workflow_dispatch: { inputs: { scenario: { options: string[] } } } };
}

/** The most requests per second a scenario asks for (VU executors: one request per think time). */
function peakRequestsPerSecond(scenario: Scenario): number {
  const profile = scenario.profile;
  switch (profile.executor) {
    case 'ramping-arrival-rate':
      return Math.max(profile.startRate, ...profile.stages.map((s) => s.target)) / parseDuration(profile.timeUnit);
    case 'constant-arrival-rate':
      return profile.rate / parseDuration(profile.timeUnit);
    case 'constant-vus':
      return scenario.thinkTime ? profile.vus / scenario.thinkTime : Infinity;
    case 'ramping-vus':
      return scenario.thinkTime
        ? Math.max(profile.startVUs, ...profile.stages.map((s) => s.target)) / scenario.thinkTime
        : Infinity;
  }
}

const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'deploy.yml'), 'utf8')) as Workflow;
const offered = workflow.on.workflow_dispatch.inputs.scenario.options;

let workspace: Workspace;
let kind: K8sObject[];
beforeAll(() => {
  workspace = makeWorkspace();
  kind = renderCombination(workspace, 'kind', []);
});
afterAll(() => workspace?.cleanup());

/** RATE_LIMIT_PER_MINUTE as the kind pods get it: the ConfigMap's value, else the API's default. */
function kindRateLimit(): number {
  const config = kind.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('mlship-config-'))!;
  return loadConfig(config.data as NodeJS.ProcessEnv).RATE_LIMIT_PER_MINUTE;
}

test('when the peak rate is computed, then it is the highest stage target per time unit', () => {
  expect(peakRequestsPerSecond(loadScenario('spike'))).toBe(400);
  expect(peakRequestsPerSecond(loadScenario('stress'))).toBe(300);
  expect(peakRequestsPerSecond(loadScenario('load'))).toBe(50);
  expect(peakRequestsPerSecond(loadScenario('smoke'))).toBe(20);
});

test('when deploy.yml offers scenarios, then the kind job runs them, stress and spike included', () => {
  expect(offered).toEqual(expect.arrayContaining(['smoke', 'load', 'stress', 'spike']));
});

test.each(offered)(
  "when the kind job runs %s from one user, then one pod could take its peak under the overlay's rate limit",
  (name) => {
    const perMinute = peakRequestsPerSecond(loadScenario(name)) * 60;
    expect([name, perMinute <= kindRateLimit()]).toEqual([name, true]);
  },
);
