import fc from 'fast-check';
import type { RawRequest } from './hostile-client';
import { ALICE, basic } from './helpers';

/** Marks every generated secret, so a log scan can find any of them without false alarms. */
export const SECRET_PREFIX = 'zqx';

/** The monitoring token the hostile app is configured with. */
export const MONITORING_TOKEN = `${SECRET_PREFIX}-monitoring-token-0123456789`;

/** Addresses that send bad credentials (via X-Forwarded-For from loopback), so loopback itself is never throttled. */
const ATTACKERS = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];

/** Every route of the contract, with the variations a client may try on them. */
export const ROUTES = [
  '/predict',
  '/predict?debug=1',
  '/status',
  '/healthz',
  '/readyz',
  '/models',
  '/models/M1',
  '/models/M2',
  '/M1',
  '/M2',
  '/v2',
  '/v2/',
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/models/M1',
  '/v2/models/M2/ready',
  '/v2/models/M1/versions/000000000000',
  '/v2/models/M1/infer',
  '/v2/models/M2/infer',
  '/v2/models/M1/versions/000000000000/infer',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/',
  '/docs/swagger-initializer.js',
] as const;

const secretText = fc
  .string({ minLength: 4, maxLength: 16, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789') })
  .map((s) => `${SECRET_PREFIX}${s}`);
const anyText = fc.string({ maxLength: 40, unit: 'binary' });
const encoded = anyText.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?')));

const path: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      encoded.map((s) => `/models/${s}`),
      encoded.map((s) => `/v2/models/${s}/infer`),
      encoded.map((s) => `/v2/models/${s}/ready`),
      encoded.map((s) => `/${s}`),
      fc.constantFrom(
        '/models/__proto__',
        '/models/constructor',
        '/v2/models/__proto__/infer',
        '/v2/models/hasOwnProperty',
        '/models/%',
        '/v2/models/%E0%A4%A/infer',
        '/%ff',
        '/docs/..%2f..%2fpackage.json',
        '/docs/%2e%2e/%2e%2e/package.json',
        '//predict',
        '/predict/',
        '/PREDICT',
        '/predict?X=1&X=2',
        `/${'a'.repeat(3000)}`,
      ),
    ),
  },
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'PUT',
      'DELETE',
      'PATCH',
      'HEAD',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'PURGE',
      'SEARCH',
      'MKCOL',
    ),
  },
);

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset="UTF8"',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json;;;',
    'application/vnd.api+json',
    'application/merge-patch+json',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=zz',
    '*/*',
    'garbage',
    '',
  ),
  { freq: 6 },
);

/** Authorization headers: mostly a valid user (so validation is reached), otherwise every way to get it wrong. */
const credentials: fc.Arbitrary<{ authorization?: string; attacker: boolean }> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ authorization: ALICE, attacker: false }) },
  { weight: 2, arbitrary: fc.constant({ attacker: true }) },
  { weight: 1, arbitrary: secretText.map((p) => ({ authorization: basic('alice', p), attacker: true })) },
  {
    weight: 1,
    arbitrary: fc.tuple(secretText, secretText).map(([u, p]) => ({ authorization: basic(u, p), attacker: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        secretText.map((s) => `Basic ${s}!!`),
        secretText.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        secretText.map((s) => `Bearer ${s}`),
        secretText.map((s) => `Digest username="${s}"`),
        fc.constantFrom('Basic', 'Basic ', 'basic Og==', 'Basic ====', `Basic ${Buffer.from(':').toString('base64')}`),
        fc.constantFrom(`Bearer ${MONITORING_TOKEN}`, `Bearer ${MONITORING_TOKEN}x`, `bearer ${MONITORING_TOKEN}`),
      )
      .map((authorization) => ({ authorization, attacker: true })),
  },
);

const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, 5.1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER),
);
const row = fc.array(number, { minLength: 0, maxLength: 6 });
const jsonNumberText = fc.constantFrom(
  '1e999',
  '-1e999',
  '1e-999',
  '123456789012345678901234567890123456789',
  `1${'0'.repeat(400)}`,
  '-0',
  '0.0000000000000000000001',
);
const nanish = fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan', '1e3', '0x10', '', ' 5 ', 'null');
const nest = (depth: number, open: string, close: string, inner: string): string =>
  open.repeat(depth) + inner + close.repeat(depth);

/** A predict body as JSON text: right, nearly right, and wrong in every way. */
const predictBody: fc.Arbitrary<string> = fc.oneof(
  row.map((r) => JSON.stringify({ X: r })),
  fc.array(row, { maxLength: 5 }).map((rows) => JSON.stringify({ X: rows })),
  fc.tuple(nanish, nanish, nanish, nanish).map((r) => JSON.stringify({ X: r })),
  fc.array(jsonNumberText, { minLength: 4, maxLength: 4 }).map((r) => `{"X":[${r.join(',')}]}`),
  fc.constantFrom(
    '{"X":[5.1,3.5,1.4,0.2],"X":[[6.7,3.0,5.2,2.3]]}',
    '{"X":"setosa","X":[5.1,3.5,1.4,0.2]}',
    '{"__proto__":{"X":[5.1,3.5,1.4,0.2]}}',
    '{"X":[5.1,3.5,1.4,0.2],"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}},"X":[5.1,3.5,1.4,0.2]}',
    '{"X":{"0":5.1,"1":3.5,"2":1.4,"3":0.2,"length":4}}',
    '{"X":[[5.1,3.5,1.4,0.2],[1,2]]}',
    '{"X":[[5.1,3.5,1.4,0.2],5]}',
    '{"X":[true,false,null,{}]}',
    '{"X":[5.1,3.5,1.4,0.2],"extra":1}',
    '\ufeff{"X":[5.1,3.5,1.4,0.2]}',
    '{"X":[5.1,3.5,1.4,0.2]',
    '{"X":[5.1,3.5,1.4,0.2]}}',
    '{"X\u0000":[5.1,3.5,1.4,0.2]}',
    '{"\ud800":"\udfff"}',
    'null',
    'true',
    '[]',
    '"X"',
    '0',
    '   ',
    '',
  ),
  fc
    .integer({ min: 1, max: 2000 })
    .map((n) => JSON.stringify({ X: Array.from({ length: n }, () => [5.1, 3.5, 1.4, 0.2]) })),
  fc.integer({ min: 2, max: 60_000 }).map((n) => `{"X":${nest(n, '[', ']', '')}}`),
  fc.integer({ min: 2, max: 30_000 }).map((n) => nest(n, '{"X":', '}', '1')),
);

const tensor = (data: string, shape = '[1,4]', datatype = '"FP32"', name = '"input"'): string =>
  `{"inputs":[{"name":${name},"shape":${shape},"datatype":${datatype},"data":${data}}]}`;

/** An Open Inference Protocol request as JSON text. */
const inferBody: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      row,
      fc.array(fc.integer({ min: -2, max: 5000 }), { maxLength: 3 }),
      fc.constantFrom('FP32', 'FP64', 'INT8', 'BYTES', ''),
    )
    .map(([data, shape, datatype]) => tensor(JSON.stringify(data), JSON.stringify(shape), JSON.stringify(datatype))),
  fc.jsonValue({ maxDepth: 4 }).map((data) => tensor(JSON.stringify(data))),
  fc.constantFrom(
    tensor('[5.1,3.5,1.4,0.2]'),
    tensor('[[5.1,3.5,1.4,0.2]]'),
    tensor('["NaN","Infinity",1,2]'),
    tensor('[1e999,1,1,1]'),
    tensor('[5.1,3.5,1.4,0.2]', '[9007199254740993,4]'),
    tensor('[5.1,3.5,1.4,0.2]', '[-1,4]'),
    tensor('[5.1,3.5,1.4,0.2]', '[1,4]', '"FP32"', '"__proto__"'),
    '{"inputs":[],"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4],"__proto__":{"polluted":true}}],' +
      '"parameters":{"__proto__":"x"}}',
    '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}],"outputs":[{"name":"constructor"}]}',
    '{"id":{"toString":1},"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}',
    '{"inputs":{"0":{}}}',
  ),
  fc.integer({ min: 2, max: 60_000 }).map((n) => tensor(nest(n, '[', ']', ''))),
  fc.integer({ min: 2, max: 20_000 }).map((n) => tensor(nest(n, '[', ']', '1'))),
);

/** Anything else a client may put in a body: random JSON, unicode, binary, over the size limit. */
const otherBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200, unit: 'grapheme' }).map((s) => JSON.stringify({ X: s, [s]: s })),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x58, 0x22, 0x3a, 0xff, 0xfe, 0x7d])),
  fc.integer({ min: 1, max: 3 }).map((extra) => `{"X":"${'x'.repeat(BODY_LIMIT_BYTES + extra)}"}`),
);

/** The BODY_LIMIT the hostile app runs with, small so oversize bodies stay cheap to send. */
export const BODY_LIMIT_BYTES = 256 * 1024;

const extraHeaders = fc.record(
  {
    'x-experiment-group': fc.oneof(
      fc.constantFrom('debug', 'DEBUG', 'v2', ''),
      anyText.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    ),
    'x-request-id': fc.oneof(
      fc.constantFrom('ok-id-1', '../../etc/passwd', '<script>', 'a'.repeat(300)),
      anyText.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    ),
    'x-forwarded-for': fc.constantFrom(
      '198.51.100.7',
      '198.51.100.7, 203.0.113.9',
      'unknown',
      '::ffff:198.51.100.8',
      '',
    ),
    'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', ''),
    cookie: secretText.map((s) => `session=${s}`),
    'x-http-method-override': fc.constantFrom('DELETE', 'PUT'),
  },
  { requiredKeys: [] },
);

/** One hostile request for any route. */
export const hostileRequest: fc.Arbitrary<RawRequest> = fc
  .record({ method, path, contentType, credentials, extra: extraHeaders, chunked: fc.boolean(), kind: fc.nat(9) })
  .chain((r) => {
    const body: fc.Arbitrary<string | Buffer | undefined> = r.path.includes('/infer')
      ? fc.oneof(
          { weight: 6, arbitrary: inferBody },
          { weight: 1, arbitrary: otherBody },
          { weight: 1, arbitrary: fc.constant(undefined) },
        )
      : r.path.startsWith('/predict')
        ? fc.oneof(
            { weight: 6, arbitrary: predictBody },
            { weight: 1, arbitrary: otherBody },
            { weight: 1, arbitrary: fc.constant(undefined) },
          )
        : fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: otherBody });
    return body.map((b) => {
      const headers: Record<string, string> = { ...r.extra };
      if (r.contentType !== null) headers['content-type'] = r.contentType;
      if (r.credentials.authorization !== undefined) headers.authorization = r.credentials.authorization;
      // Bad credentials come from attacker addresses: loopback itself must not end up throttled.
      if (r.credentials.attacker) headers['x-forwarded-for'] = ATTACKERS[r.kind % ATTACKERS.length]!;
      const hasBody = b !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
      return { method: r.method, path: r.path, headers, ...(hasBody ? { body: b, chunked: r.chunked } : {}) };
    });
  });
