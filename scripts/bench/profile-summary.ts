import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where per-request CPU goes, by category. Each sample is charged to the first frame, walking from
 * the sampled function towards the root, that a rule below names: a file write under pino counts
 * as logs, a header check under the response as the response. Frames no rule names (events,
 * streams, timers, anonymous glue) pass the sample on to their caller. V8 gives builtins such as
 * JSON.parse no frame of their own, so JSON is inside its caller's category (see jsonCosts).
 * Rules match the original source path (through the bundle's source map) or Node's own `node:`
 * module, and the function name.
 */
const RULES: readonly { category: string; source?: RegExp; name?: RegExp }[] = [
  { category: 'GC', name: /^\(garbage collector\)$/ },
  { category: 'V8 / native, unattributed', name: /^\(program\)$/ },
  { category: 'auth', source: /api\/src\/security\/(auth|users-file)\.ts$/ },
  { category: 'rate limit', source: /api\/src\/security\/rate-limit\.ts$/ },
  { category: 'validation', source: /api\/src\/http\/validation\.ts$|node_modules\/zod\// },
  { category: 'metrics', source: /api\/src\/observability\/(bound-metrics|metrics)\.ts$|node_modules\/prom-client\// },
  {
    category: 'logs (access + prediction)',
    source:
      /api\/src\/observability\/(logging|prediction-log|prediction-recorder)\.ts$|node_modules\/(pino|@pinojs|sonic-boom|pino-std-serializers|quick-format-unescaped|fast-redact|safe-stable-stringify|atomic-sleep|thread-stream)\//,
  },
  {
    category: 'prediction',
    source: /api\/src\/models\/model-store\.ts$|model\/src\/|node_modules\/(ml-[^/]+|is-any-array)\//,
  },
  { category: 'request id, timing (observe)', source: /api\/src\/observability\/observe\.ts$/ },
  {
    category: 'body read (JSON.parse included)',
    source:
      /api\/src\/http\/json-body\.ts$|node_modules\/(type-is|media-typer|content-type|mime-types|mime-db)\/|^node:_http_incoming$/,
  },
  {
    category: 'response',
    source: /^node:_http_server$/,
    name: /^(writeHead|_writeRaw|_send|_storeHeader|processHeader|_implicitHeader|setHeader|end|write|_finish|resOnFinish|onFinish)$/,
  },
  {
    category: 'response',
    source: /^node:_http_outgoing$|api\/src\/(security\/security-headers|http\/error-response)\.ts$/,
  },
  { category: 'HTTP parsing', source: /^node:_http_(server|common)$/ },
  { category: 'HTTP parsing', source: /^$/, name: /^(execute|HTTPParser)$/ },
  { category: 'socket I/O', source: /^node:(net|internal\/stream_base_commons)$/ },
  {
    category: 'socket I/O',
    source: /^$/,
    name: /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString|readStart|readStop|close)$/,
  },
  {
    category: 'routing, handler (JSON.stringify of the answer included)',
    source:
      /api\/src\/(?:[^/]+\/)?[^/]+\.ts$|node_modules\/(express|router|finalhandler|send|serve-static|helmet|proxy-addr)\//,
  },
];

/** Source path (original, through the bundle's source map) or Node module id of a frame's script. */
class SourceResolver {
  private readonly maps = new Map<string, SourceMap | null>();

  resolve(url: string, line: number, column: number): string {
    if (url.startsWith('node:') || url === '') return url;
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    const map = this.mapFor(file);
    if (!map) return file;
    // The server bundle runs inside a one-line function wrapper (api/src/code-cache.ts) that
    // shifts the columns of its first line.
    const shifted = line === 0 && file.endsWith('server.bundle.js') ? column - CODE_CACHE_WRAPPER.length : column;
    const entry = map.findEntry(line, Math.max(0, shifted)) as { originalSource?: string };
    return (entry.originalSource ?? file).replace(/^(\.\.\/)+/, '').replace(/^.*\/node_modules\//, 'node_modules/');
  }

  private mapFor(file: string): SourceMap | null {
    if (!this.maps.has(file)) {
      const path = `${file}.map`;
      this.maps.set(
        file,
        existsSync(path)
          ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0])
          : null,
      );
    }
    return this.maps.get(file) ?? null;
  }
}

const CODE_CACHE_WRAPPER = '(function (exports, require, module, __filename, __dirname) {';

/**
 * Busy CPU (idle excluded) by category over the samples taken between `fromMicros` and `toMicros` (monotonic clock).
 */
export function summariseProfile(
  profile: CpuProfile,
  fromMicros = -Infinity,
  toMicros = Infinity,
): { busyMicros: number; byCategory: Map<string, number> } {
  const resolver = new SourceResolver();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryOf = new Map<number, string>();
  const categorise = (id: number): string => {
    const cached = categoryOf.get(id);
    if (cached !== undefined) return cached;
    const frame = byId.get(id)!.callFrame;
    const source = resolver.resolve(frame.url, frame.lineNumber, frame.columnNumber);
    const rule = RULES.find(
      (r) => (!r.source || r.source.test(source)) && (!r.name || r.name.test(frame.functionName)),
    );
    const up = parent.get(id);
    const category = rule
      ? rule.category
      : up === undefined
        ? 'other (timers, events, Node internals)'
        : categorise(up);
    categoryOf.set(id, category);
    return category;
  };

  const byCategory = new Map<string, number>();
  let busyMicros = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < fromMicros || time > toMicros || byId.get(id)!.callFrame.functionName === '(idle)') return;
    const category = categorise(id);
    byCategory.set(category, (byCategory.get(category) ?? 0) + delta);
    busyMicros += delta;
  });
  return { busyMicros, byCategory };
}

/**
 * What JSON costs on its own, which the profile cannot separate: `JSON.parse` of the request body
 * and `JSON.stringify` of an answer of the same shape as the API's, in µs per call, timed in this
 * process after a warm-up.
 */
export function jsonCosts(body: string, answer: unknown): { parseMicros: number; stringifyMicros: number } {
  const time = (fn: () => unknown): number => {
    for (let i = 0; i < 200; i++) fn();
    const rounds = 2000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fn();
    return Number(process.hrtime.bigint() - start) / 1000 / rounds;
  };
  return { parseMicros: time(() => JSON.parse(body)), stringifyMicros: time(() => JSON.stringify(answer)) };
}
