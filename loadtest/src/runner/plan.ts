import { parseDuration } from '../scenario/duration';
import type { Scenario, Stage } from '../scenario/types';

/**
 * One stretch of a local run at a fixed load, as autocannon can play it. A ramp becomes a
 * staircase of short steps; a step with no load is a pause that keeps the profile's timing.
 */
export interface Step {
  seconds: number;
  /** Open connections (the local stand-in for k6 VUs); 0 means pause. */
  connections: number;
  /** Requests per second across all connections (arrival-rate profiles). */
  overallRate?: number;
  /** Requests per second per connection (VU profiles with a think time). */
  connectionRate?: number;
}

/** Options that shrink a plan: every duration times `timeScale`, cut off at `maxSeconds`. */
export interface PlanLimits {
  timeScale: number;
  maxSeconds: number;
}

/** Steps no longer than this (after scaling) approximate a ramp. */
const RAMP_STEP_SECONDS = 2;

/** Splits stages into steps at the mean target of each slice of each ramp. */
function ramp(
  start: number,
  stages: Stage[],
  timeScale: number,
  make: (target: number, seconds: number) => Step,
): Step[] {
  const steps: Step[] = [];
  let from = start;
  for (const stage of stages) {
    const seconds = parseDuration(stage.duration) * timeScale;
    const slices = from === stage.target ? 1 : Math.max(1, Math.round(seconds / RAMP_STEP_SECONDS));
    for (let i = 0; i < slices; i++) {
      const mid = from + ((stage.target - from) * (i + 0.5)) / slices;
      steps.push(make(mid, seconds / slices));
    }
    from = stage.target;
  }
  return steps;
}

/** Connections for an arrival rate: enough that each sends at most ~10 requests/s, within the VU bounds. */
function connectionsFor(rate: number, preAllocated: number, max: number): number {
  return Math.max(1, Math.min(max, Math.max(preAllocated, Math.ceil(rate / 10)), Math.ceil(rate)));
}

/** The local runner's steps for a scenario, scaled and bounded. */
export function planSteps(scenario: Scenario, limits: PlanLimits): Step[] {
  const { profile } = scenario;
  const scale = limits.timeScale;
  const thinkRate = scenario.thinkTime ? Math.max(1, Math.round(1 / scenario.thinkTime)) : undefined;
  const vuStep = (vus: number, seconds: number): Step => {
    const connections = Math.round(vus);
    return { seconds, connections, ...(thinkRate && connections > 0 ? { connectionRate: thinkRate } : {}) };
  };
  let steps: Step[];
  switch (profile.executor) {
    case 'constant-vus':
      steps = [vuStep(profile.vus, parseDuration(profile.duration) * scale)];
      break;
    case 'ramping-vus':
      steps = ramp(profile.startVUs, profile.stages, scale, vuStep);
      break;
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate': {
      const perSecond = (rate: number): number => rate / parseDuration(profile.timeUnit);
      const rateStep = (rate: number, seconds: number): Step => {
        const overallRate = Math.round(perSecond(rate));
        if (overallRate < 1) return { seconds, connections: 0 };
        return {
          seconds,
          connections: connectionsFor(overallRate, profile.preAllocatedVUs, profile.maxVUs),
          overallRate,
        };
      };
      steps =
        profile.executor === 'constant-arrival-rate'
          ? [rateStep(profile.rate, parseDuration(profile.duration) * scale)]
          : ramp(profile.startRate, profile.stages, scale, rateStep);
      break;
    }
  }
  // Merge neighbours with the same load, then cut the plan at maxSeconds.
  const merged: Step[] = [];
  for (const step of steps) {
    const last = merged[merged.length - 1];
    if (
      last &&
      last.connections === step.connections &&
      last.overallRate === step.overallRate &&
      last.connectionRate === step.connectionRate
    )
      last.seconds += step.seconds;
    else merged.push({ ...step });
  }
  const bounded: Step[] = [];
  let total = 0;
  for (const step of merged) {
    const seconds = Math.min(step.seconds, limits.maxSeconds - total);
    if (seconds <= 0.05) break;
    bounded.push({ ...step, seconds: Math.round(seconds * 1000) / 1000 });
    total += seconds;
  }
  return bounded;
}
