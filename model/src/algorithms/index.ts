import { InputError } from '../errors';
import { knn } from './knn';
import { onnx } from './onnx';
import type { AnyAlgorithm } from './port';

/** Every algorithm a models.json entry can name: one line each. */
const ALGORITHMS: readonly AnyAlgorithm[] = [knn, onnx];

/**
 * The algorithm of an entry or artifact that names none. Artifacts written before there was a
 * choice carry no `algorithm` field, and training leaves it out for this one, so they keep their
 * bytes, versions and sha256.
 */
export const DEFAULT_ALGORITHM = 'knn';

const byName = new Map(ALGORITHMS.map((a) => [a.name, a]));

/** Every registered algorithm. */
export function algorithms(): readonly AnyAlgorithm[] {
  return ALGORITHMS;
}

/** The names a models.json entry may give, for error messages. */
export function algorithmNames(): string[] {
  return [...byName.keys()];
}

/** The algorithm called `name` (the default when none is given); an InputError names the known ones. */
export function algorithmNamed(name: string | undefined): AnyAlgorithm {
  const found = byName.get(name ?? DEFAULT_ALGORITHM);
  if (!found) throw new InputError(`unknown algorithm ${JSON.stringify(name)}; known: ${algorithmNames().join(', ')}`);
  return found;
}

/** What an artifact or metrics file records about its algorithm: the field, absent for the default. */
export function algorithmField(name: string): { algorithm?: string } {
  return name === DEFAULT_ALGORITHM ? {} : { algorithm: name };
}
