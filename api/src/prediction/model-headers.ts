import type { ServedModel } from '../models/model-store';
import type { HeaderTarget } from '../http/response-headers';
import { setResponseHeader } from '../http/response-headers';
import type { Variant } from '../models/variant';

/**
 * Which model answered: the headers every prediction answer carries (/predict and OIP infer), as name, value, name,
 * value.
 */
export function modelHeaders(model: ServedModel, variant: Variant): string[] {
  return ['X-Model-Name', model.name, 'X-Model-Version', model.version, 'X-Variant', variant];
}

/** Sets headers given as name, value, name, value (gathered on the fast path, `setHeader` on Express). */
export function setHeaderPairs(res: HeaderTarget, pairs: readonly string[]): void {
  for (let i = 0; i + 1 < pairs.length; i += 2) setResponseHeader(res, pairs[i]!, pairs[i + 1]!);
}
