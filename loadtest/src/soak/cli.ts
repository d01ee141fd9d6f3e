/**
 * `npm run soak`: an endurance run against the real API, which it starts and stops itself.
 * Fails when any request failed or when the server's RSS grew more than --max-growth (10%) from
 * the end of the warm-up to the end of the run.
 */
import { describeModels, discoverModels } from '../runner/discover';
import { startApi } from '../runner/processes';
import { parseSoakOptions, SOAK_USAGE, SoakUsageError } from './options';
import { runSoak } from './run';
import { credentials } from './traffic';
import { judgeSoak, mib } from './verdict';

async function main(argv: string[]): Promise<number> {
  const options = parseSoakOptions(argv);
  if (options === 'help') {
    console.log(SOAK_USAGE);
    return 0;
  }
  const log = (line: string): void => {
    if (!options.json) console.log(line);
  };
  const api = await startApi(options.port, {}, [], options.serve);
  log(`soak: API on 127.0.0.1:${api.port} (pid ${api.pid})`);
  try {
    const models = await discoverModels(`http://127.0.0.1:${api.port}`, credentials());
    log(`soak: ${describeModels(models)}`);
    const m = await runSoak(options, api, models, log);
    const verdict = judgeSoak(m, options.maxGrowth);
    const summary = {
      passed: verdict.passed,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      rate: options.rate,
      requests: m.requests,
      scheduled: m.scheduled,
      failed: m.failed,
      rssStartBytes: m.rssStart,
      rssEndBytes: m.rssEnd,
      rssGrowth: +verdict.growth.toFixed(4),
      rssMaxBytes: Math.max(...m.rssSamples),
      latencyMs: {
        p50: +m.latencyMs.p50.toFixed(2),
        p99: +m.latencyMs.p99.toFixed(2),
        max: +m.latencyMs.max.toFixed(2),
      },
      reasons: verdict.reasons,
    };
    if (options.json) {
      console.log(JSON.stringify({ soak: summary }));
    } else {
      console.log(
        `RSS at start (lowest in the first quarter after a ${options.warmupSeconds} s warm-up): ${mib(m.rssStart)}`,
      );
      console.log(
        `RSS at end (lowest in the last quarter): ${mib(m.rssEnd)} (${verdict.growth >= 0 ? '+' : ''}` +
          `${(verdict.growth * 100).toFixed(1)}%, limit +${(options.maxGrowth * 100).toFixed(0)}%; peak ` +
          `${mib(summary.rssMaxBytes)})`,
      );
      console.log(
        `requests: ${m.requests} sent of ${m.scheduled} scheduled, ${m.failed} failed; latency p50 ` +
          `${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms`,
      );
      console.log(verdict.passed ? 'soak: passed' : `soak: FAILED\n  ${verdict.reasons.join('\n  ')}`);
    }
    return verdict.passed ? 0 : 1;
  } finally {
    await api.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof SoakUsageError ? 2 : 1);
  },
);
