import { Agent } from 'node:http';
import type { TrafficModels } from '../scenario/discovery';
import type { SoakOptions } from './options';
import { residentBytes } from './rss';
import { send, soakMix } from './traffic';
import type { SoakMeasurement } from './verdict';
import { quantile, settledEnd, windowFloor } from './verdict';

/** The server under soak: its port and PID (for RSS). */
export interface SoakTarget {
  port: number;
  pid: number;
}

const TICK_MS = 10;
const RSS_EVERY_MS = 2000;
/** Requests allowed in flight at once; beyond it the schedule is behind and says so. */
const MAX_IN_FLIGHT = 256;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the open-loop sender has seen so far. */
interface Traffic {
  requests: number;
  failed: number;
  latencies: number[];
  firstFailures: string[];
  /** Requests sent and not yet answered (or failed). */
  inFlight: number;
  sent: number;
  pending: Set<Promise<void>>;
}

/** Sends the next request of the mix without waiting for it, and counts its outcome when it ends. */
function fire(traffic: Traffic, agent: Agent, mix: ReturnType<typeof soakMix>, port: number): void {
  const req = mix[traffic.sent % mix.length]!;
  traffic.sent++;
  traffic.inFlight++;
  const started = process.hrtime.bigint();
  const done = send(agent, port, req).then((res) => {
    traffic.inFlight--;
    traffic.requests++;
    traffic.latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== req.expect) {
      traffic.failed++;
      if (traffic.firstFailures.length < 10)
        traffic.firstFailures.push(
          `${req.name}: ` +
            `${res.status === -1 ? (res.error ?? 'no answer') : `status ${res.status}, expected ${req.expect}`}`,
        );
    }
  });
  traffic.pending.add(done);
  void done.then(() => traffic.pending.delete(done));
}

/**
 * Samples the server's RSS every 2 s into `samples` (with a progress line every 15 samples)
 * until `stop()`, which resolves once the sampler has ended.
 */
function sampleRss(
  target: SoakTarget,
  samples: number[],
  progress: (line: string) => void,
  traffic: Traffic,
): { stop: () => Promise<void> } {
  let sampling = true;
  const sampler = (async () => {
    let last = Date.now();
    while (sampling) {
      await sleep(100);
      if (Date.now() - last >= RSS_EVERY_MS) {
        last = Date.now();
        samples.push(await residentBytes(target.pid, target.port));
        if (samples.length % 15 === 0)
          progress(
            `  ${traffic.requests} requests, ${traffic.failed} failed, RSS ` +
              `${(samples[samples.length - 1]! / 1048576).toFixed(1)} MiB`,
          );
      }
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await sampler;
    },
  };
}

/** The RSS once the warm-up's garbage has settled: the settled end of three readings 200 ms apart. */
async function settledRss(target: SoakTarget): Promise<number> {
  return settledEnd([
    await residentBytes(target.pid, target.port),
    await sleep(200).then(() => residentBytes(target.pid, target.port)),
    await sleep(200).then(() => residentBytes(target.pid, target.port)),
  ]);
}

/**
 * Sends the mix (built from `models`, what the API serves) at a steady rate for warm-up +
 * `seconds`, open loop (a slow answer does not slow the schedule), and samples RSS every 2 s after
 * the warm-up. `progress` gets a line now and then.
 */
export async function runSoak(
  options: SoakOptions,
  target: SoakTarget,
  models: TrafficModels,
  progress: (line: string) => void = () => undefined,
): Promise<SoakMeasurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const mix = soakMix(models);
  const traffic: Traffic = {
    requests: 0,
    failed: 0,
    latencies: [],
    firstFailures: [],
    inFlight: 0,
    sent: 0,
    pending: new Set(),
  };

  const pace = async (seconds: number): Promise<number> => {
    const started = Date.now();
    const end = started + seconds * 1000;
    let scheduled = 0;
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - started) / 1000) * options.rate);
      while (scheduled < due) {
        scheduled++;
        if (traffic.inFlight < MAX_IN_FLIGHT) fire(traffic, agent, mix, target.port);
      }
      await sleep(TICK_MS);
    }
    return scheduled;
  };

  progress(`warm-up: ${options.warmupSeconds} s at ${options.rate} requests/s`);
  const warmScheduled = await pace(options.warmupSeconds);
  const rssStart = await settledRss(target);
  const rssSamples: number[] = [rssStart];
  progress(`measuring: ${options.seconds} s; RSS after warm-up ${(rssStart / 1048576).toFixed(1)} MiB`);
  const sampler = sampleRss(target, rssSamples, progress, traffic);
  const scheduled = warmScheduled + (await pace(options.seconds));
  await Promise.all(traffic.pending);
  rssSamples.push(await residentBytes(target.pid, target.port));
  await sampler.stop();
  agent.destroy();
  const { requests, failed, firstFailures, latencies } = traffic;
  return {
    requests,
    failed,
    firstFailures,
    // RSS saws up and down with every garbage collection; what a leak raises is the floor. So the
    // start and end are the lowest samples of the first and last quarter of the measured run.
    rssStart: windowFloor(rssSamples, 'first'),
    rssEnd: windowFloor(rssSamples, 'last'),
    rssSamples,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) },
    scheduled,
  };
}
