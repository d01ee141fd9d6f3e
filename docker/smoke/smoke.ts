/**
 * Smoke checks against a running mlship edge (nginx in front of the API replicas). Runs two ways:
 * in the compose `tests` service with the image's Node 24 (`node smoke.ts`: type stripping, so only
 * erasable TypeScript and `node:` imports here), and imported by the end-to-end harness under tsx.
 *
 * Env for the CLI: SMOKE_BASE_URL (https://127.0.0.1:8443), SMOKE_HTTP_URL (http://127.0.0.1:8080,
 * empty skips the redirect check), SMOKE_CA_FILE (PEM that signed the edge's certificate),
 * SMOKE_USERS (user:password,...; the documented dev users), SMOKE_RESULTS_DIR (writes
 * smoke-<timestamp>.json there when set).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';

/** A response with its body read as text. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request; a `json` body is serialized with the matching Content-Type. */
export interface HttpRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  timeoutMs?: number;
}

/** Options of {@link sendRequest}: a CA for a self-signed edge, and a keep-alive agent for load. */
export interface ClientOptions {
  ca?: string | Buffer;
  agent?: http.Agent;
}

/** Sends one HTTP(S) request to `baseUrl + path`; rejects only on network errors and timeouts. */
export function sendRequest(baseUrl: string, req: HttpRequest, options: ClientOptions = {}): Promise<HttpResponse> {
  const url = new URL(req.path, baseUrl);
  const body = req.json === undefined ? undefined : JSON.stringify(req.json);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: req.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        timeout: req.timeoutMs ?? 5000,
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.ca && url.protocol === 'https:' ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timeout after ${req.timeoutMs ?? 5000} ms: ${url.href}`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** `Authorization` header value for HTTP basic auth. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The outcome of one check. */
export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

/** Where and as whom the smoke checks run. */
export interface SmokeTarget {
  baseUrl: string;
  /** Plain-HTTP address of the edge, for the redirect check; undefined skips it. */
  httpUrl?: string;
  users: Array<{ user: string; password: string }>;
  client: ClientOptions;
}

/** The documented development users (docs/api.md, Users). */
export const DEV_USERS = [
  { user: 'alice', password: 'wonderland' },
  { user: 'bob', password: 'builder' },
  { user: 'clementine', password: 'mandarine' },
];

/** A setosa row from the Iris data: every model must call it setosa. */
export const SETOSA = [5.1, 3.5, 1.4, 0.2];

function parse(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function check(name: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, passed: true, detail: await run() };
  } catch (e) {
    return { name, passed: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

type Send = (req: HttpRequest) => Promise<HttpResponse>;

/** The edge answers health checks openly and refuses /predict without the right credentials. */
async function authChecks(send: Send): Promise<CheckResult[]> {
  return [
    await check('when GET /healthz through the edge, then 200', async () => {
      const res = await send({ path: '/healthz' });
      expect(res.status === 200, `status ${res.status}`);
      return 'ok';
    }),
    await check('when POST /predict has no credentials, then 401 with WWW-Authenticate', async () => {
      const res = await send({ path: '/predict', json: { X: SETOSA } });
      expect(res.status === 401, `status ${res.status}`);
      expect(
        /^Basic/i.test(String(res.headers['www-authenticate'] ?? '')),
        `WWW-Authenticate "${String(res.headers['www-authenticate'])}"`,
      );
      return '401';
    }),
    await check('when POST /predict has a wrong password, then 401', async () => {
      const res = await send({
        path: '/predict',
        json: { X: SETOSA },
        headers: { authorization: basicAuth('alice', 'not-the-password') },
      });
      expect(res.status === 401, `status ${res.status}`);
      return '401';
    }),
  ];
}

/** Every user gets "setosa" for a setosa row; the debug group reaches v2 and its explanations. */
async function predictionChecks(send: Send, users: SmokeTarget['users']): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { user, password } of users) {
    results.push(
      await check(`when ${user} posts a setosa row, then 200 and "setosa"`, async () => {
        const res = await send({
          path: '/predict',
          json: { X: SETOSA },
          headers: { authorization: basicAuth(user, password) },
        });
        expect(res.status === 200, `status ${res.status}: ${res.body.slice(0, 200)}`);
        const body = parse(res.body);
        expect(body.prediction === 'setosa', `prediction ${JSON.stringify(body.prediction)}`);
        return (
          `${String(res.headers['x-model-name'])} ${String(res.headers['x-model-version'])} ` +
          `${String(res.headers['x-variant'])}`
        );
      }),
    );
  }
  const first = users[0];
  if (first) {
    results.push(
      await check('when X-Experiment-Group is debug, then v2 answers with probabilities and neighbours', async () => {
        const res = await send({
          path: '/predict',
          json: { X: SETOSA },
          headers: { authorization: basicAuth(first.user, first.password), 'x-experiment-group': 'debug' },
        });
        expect(res.status === 200, `status ${res.status}`);
        expect(res.headers['x-variant'] === 'v2', `X-Variant ${String(res.headers['x-variant'])}`);
        const body = parse(res.body);
        expect(typeof body.probabilities === 'object' && body.probabilities !== null, 'no probabilities');
        expect(Array.isArray(body.neighbours) && body.neighbours.length > 0, 'no neighbours');
        return `${String(res.headers['x-model-name'])} with ${(body.neighbours as unknown[]).length} neighbours`;
      }),
    );
  }
  return results;
}

interface ListedModel {
  name: string;
  features: string[];
  classes: string[];
}

/**
 * Every model GET /models lists answers OIP inference at its own width with one of its own classes
 * (whatever the algorithm and its data: the row is all ones, so only the width and the class set
 * are checked).
 */
async function servedModelChecks(
  send: Send,
  { user, password }: { user: string; password: string },
): Promise<CheckResult> {
  return check(
    'when every model GET /models lists is asked over OIP, then each answers one of its classes',
    async () => {
      const authorization = basicAuth(user, password);
      const listed = await send({ path: '/models', headers: { authorization } });
      expect(listed.status === 200, `GET /models: status ${listed.status}`);
      const models = (parse(listed.body).models ?? []) as ListedModel[];
      expect(models.length > 0, 'GET /models lists no model');
      const answers: string[] = [];
      for (const model of models) {
        const input = {
          name: 'input',
          datatype: 'FP32',
          shape: [1, model.features.length],
          data: model.features.map(() => 1),
        };
        const res = await send({
          path: `/v2/models/${encodeURIComponent(model.name)}/infer`,
          json: { inputs: [input] },
          headers: { authorization },
        });
        const label = (parse(res.body).outputs as Array<{ name: string; data: unknown[] }> | undefined)?.find(
          (o) => o.name === 'label',
        )?.data[0];
        expect(
          res.status === 200 && model.classes.includes(String(label)),
          `${model.name}: status ${res.status}, label ${JSON.stringify(label)} (classes ${model.classes.join(', ')}` +
            `): ${res.body.slice(0, 200)}`,
        );
        answers.push(`${model.name} ${String(label)}`);
      }
      return answers.join(', ');
    },
  );
}

/** The edge's own behaviour: request ids echoed, /metrics hidden, plain HTTP redirected. */
async function edgeChecks(send: Send, httpUrl: string | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [
    await check('when the caller sends X-Request-Id, then the same id comes back', async () => {
      const id = `smoke-${Date.now()}`;
      const res = await send({ path: '/healthz', headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id'] === id, `X-Request-Id ${JSON.stringify(res.headers['x-request-id'])}`);
      return id;
    }),
    await check('when /metrics is asked through the edge, then 404 (scraped per replica only)', async () => {
      const res = await send({ path: '/metrics' });
      expect(res.status === 404, `status ${res.status}`);
      return '404';
    }),
  ];
  if (httpUrl) {
    results.push(
      await check('when plain HTTP is used, then 301 to HTTPS', async () => {
        const res = await sendRequest(httpUrl, { path: '/predict?x=1' });
        const location = String(res.headers.location ?? '');
        expect(res.status === 301, `status ${res.status}`);
        expect(location.startsWith('https://') && location.endsWith('/predict?x=1'), `Location ${location}`);
        return location;
      }),
    );
  }
  return results;
}

/** Runs every smoke check, each independent of the others' outcome. */
export async function runSmoke(target: SmokeTarget): Promise<CheckResult[]> {
  const send: Send = (req) => sendRequest(target.baseUrl, req, target.client);
  const models = target.users[0] ? [await servedModelChecks(send, target.users[0])] : [];
  return [
    ...(await authChecks(send)),
    ...(await predictionChecks(send, target.users)),
    ...models,
    ...(await edgeChecks(send, target.httpUrl)),
  ];
}

/** One line per check and the closing "N passed, N failed" line. */
export function formatResults(results: CheckResult[]): string {
  const lines = results.map((r) => `${r.passed ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
  const passed = results.filter((r) => r.passed).length;
  lines.push(`smoke: ${passed} passed, ${results.length - passed} failed`);
  return lines.join('\n');
}

function parseUsers(spec: string | undefined): Array<{ user: string; password: string }> {
  if (!spec) return DEV_USERS;
  return spec.split(',').map((pair) => {
    const at = pair.indexOf(':');
    if (at <= 0) throw new Error(`SMOKE_USERS: "${pair}" is not user:password`);
    return { user: pair.slice(0, at), password: pair.slice(at + 1) };
  });
}

async function main(): Promise<number> {
  const env = process.env;
  const caFile = env.SMOKE_CA_FILE;
  const target: SmokeTarget = {
    baseUrl: env.SMOKE_BASE_URL || 'https://127.0.0.1:8443',
    users: parseUsers(env.SMOKE_USERS),
    client: caFile ? { ca: readFileSync(caFile) } : {},
  };
  const httpUrl = env.SMOKE_HTTP_URL ?? 'http://127.0.0.1:8080';
  if (httpUrl) target.httpUrl = httpUrl;
  const started = new Date();
  const results = await runSmoke(target);
  console.log(formatResults(results));
  const dir = env.SMOKE_RESULTS_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `smoke-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ started: started.toISOString(), baseUrl: target.baseUrl, results }, null, 2)}\n`,
    );
    console.log(`results in ${file}`);
  }
  return results.every((r) => r.passed) ? 0 : 1;
}

// Run as a script (node smoke.ts / tsx smoke.ts), not when the harness imports it. No
// require.main or import.meta: the file is CommonJS under tsx and ESM under Node's type stripping.
if (/smoke\.ts$/.test(process.argv[1] ?? '')) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
