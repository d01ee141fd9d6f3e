import type { ServedModel } from './model-store';
import type { HeaderTarget } from './response-headers';
import { setResponseHeader } from './response-headers';
import type { Variant } from './variant';

/** Which model answered: the headers every prediction answer carries (/predict and OIP infer). */
export function setModelHeaders(res: HeaderTarget, model: ServedModel, variant: Variant): void {
  setResponseHeader(res, 'X-Model-Name', model.name);
  setResponseHeader(res, 'X-Model-Version', model.version);
  setResponseHeader(res, 'X-Variant', variant);
}
