import type { IncomingHttpHeaders } from 'node:http';

/** Which arm of the A/B experiment answers: v1 serves MODEL_NAME, v2 serves AB_MODEL_NAME with details. */
export type Variant = 'v1' | 'v2';

/** A route that answers with whichever arm's model the request asks for (POST /predict). */
export const BOTH_ARMS: readonly Variant[] = ['v1', 'v2'];
const V1_ONLY: readonly Variant[] = ['v1'];
const V2_ONLY: readonly Variant[] = ['v2'];

/** The header that puts a request in the experiment; its value `debug` asks for v2. */
const EXPERIMENT_GROUP = 'x-experiment-group';

/** The arm a request asks for: v2 for `X-Experiment-Group: debug`, else the process's default (API_VARIANT). */
export function requestedVariant(headers: IncomingHttpHeaders, processDefault: Variant): Variant {
  return headers[EXPERIMENT_GROUP] === 'debug' ? 'v2' : processDefault;
}

/**
 * The one rule for the arm an answer counts under: the one the request asks for when the route
 * can answer as it, else the route's first arm (a route naming M1 answers as v1 whatever the
 * header says, so M1's series never count under v2 unless M1 is the experiment's model too).
 */
export function chooseVariant(requested: Variant, arms: readonly Variant[]): Variant {
  return arms.includes(requested) ? requested : (arms[0] ?? 'v1');
}

/**
 * The arms a model serves in, in the A/B pair being served (model-store.ts: the configured pair, or
 * v1 twice when the partner was dropped): v1 when it is the pair's v1, v2 when it is its v2, both
 * when it is both; a model outside the experiment answers as v1, the default arm.
 */
export function armsOf(modelName: string, pair: { v1: string; v2: string } | undefined): readonly Variant[] {
  const v1 = modelName === pair?.v1;
  const v2 = modelName === pair?.v2;
  if (v1 && v2) return BOTH_ARMS;
  return v2 ? V2_ONLY : V1_ONLY;
}
