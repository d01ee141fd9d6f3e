import type { ServerResponse } from 'node:http';
import type { ServedModel } from './model-store';
import type { Variant } from './variant';

/** Which model answered: the headers every prediction answer carries (/predict and OIP infer). */
export function setModelHeaders(res: ServerResponse, model: ServedModel, variant: Variant): void {
  res.setHeader('X-Model-Name', model.name);
  res.setHeader('X-Model-Version', model.version);
  res.setHeader('X-Variant', variant);
}
