/**
 * The shape of `loadtest/scenarios/<name>.json`: one file per scenario, read by the k6 script and by
 * the local autocannon runner alike, so the profile, the request mix and the thresholds have one
 * source of truth. Types only: k6 loads the modules that import this file without a bundler.
 */

/** A k6 stage: ramp linearly to `target` (VUs, or iterations per `timeUnit`) over `duration`. */
export interface Stage {
  /** A k6 duration: `30s`, `2m`, `1h30m`, `500ms`. */
  duration: string;
  target: number;
}

/** The k6 executors the scenarios use; their fields are k6's own, passed to k6 verbatim. */
export type Profile =
  | { executor: 'constant-vus'; vus: number; duration: string }
  | { executor: 'ramping-vus'; startVUs: number; stages: Stage[]; gracefulRampDown?: string }
  | {
      executor: 'constant-arrival-rate';
      rate: number;
      timeUnit: string;
      duration: string;
      preAllocatedVUs: number;
      maxVUs: number;
    }
  | {
      executor: 'ramping-arrival-rate';
      startRate: number;
      timeUnit: string;
      stages: Stage[];
      preAllocatedVUs: number;
      maxVUs: number;
    };

/** The kinds of request a scenario mixes (requests.ts says what each sends and expects). */
export type RequestKind =
  'predict_single' | 'predict_batch' | 'predict_v2' | 'infer' | 'invalid_row' | 'malformed_json' | 'wrong_content_type';

/** How the local runner shrinks a scenario to fit a shared machine. */
export interface LocalLimits {
  /** Multiplies every duration (0.1 plays a 10-minute profile in 1 minute). */
  timeScale: number;
  /** Hard stop for the whole run, in seconds, whatever the profile says. */
  maxSeconds: number;
  /** Hard stop on the number of requests. */
  maxRequests: number;
}

/** One scenario file. */
export interface Scenario {
  name: string;
  description: string;
  profile: Profile;
  /** Pause after each iteration in seconds (VU executors only: models a user's think time). */
  thinkTime?: number;
  /** Relative weights of each request kind; kinds left out are not sent. */
  mix: Partial<Record<RequestKind, number>>;
  /** k6 thresholds, verbatim: metric (optionally `{tag:value}`) to threshold expressions. */
  thresholds: Record<string, string[]>;
  local: LocalLimits;
}
