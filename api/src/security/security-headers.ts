import helmet from 'helmet';

/**
 * helmet's headers, worked out once. helmet decides them from its options alone, so running it on a
 * recording response at start-up and replaying the result gives the same headers on every route
 * without re-running fourteen middleware per request.
 */
export function helmetHeaders(options: Parameters<typeof helmet>[0]): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let finished = false;
  helmet(options)({} as never, recorder as never, () => (finished = true));
  if (!finished) throw new Error('helmet did not finish synchronously');
  return headers;
}
