import type { RequestHandler } from 'express';
import { ApiError } from '../http/errors';

/** The handler for a known path requested with a method it does not serve: 405 with `Allow`. */
export function allow(...methods: string[]): RequestHandler {
  const list = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
  return (req, _res, next) => {
    next(
      new ApiError('method_not_allowed', `${req.method} is not allowed here; use ${methods.join(' or ')}`, undefined, {
        Allow: list,
      }),
    );
  };
}
