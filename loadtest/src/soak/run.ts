import { Agent } from 'node:http';
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

/**
 * Sends the mix at a steady rate for warm-up + `seconds`, open loop (a slow answer does not slow
 * the schedule), and samples RSS every 2 s after the warm-up. `progress` gets a line now and then.
 */
export async function runSoak(options: SoakOptions, target: SoakTarget, progress: (line: string) => void = () => undefined): Promise<SoakMeasurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const mix = soakMix();
  const latencies: number[] = [];
  const firstFailures: string[] = [];
  let requests = 0;
  let failed = 0;
  let inFlight = 0;
  let sent = 0;
  const pending = new Set<Promise<void>>();

  const fire = (): void => {
    const req = mix[sent % mix.length]!;
    sent++;
    inFlight++;
    const started = process.hrtime.bigint();
    const done = send(agent, target.port, req).then((res) => {
      inFlight--;
      requests++;
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (res.status !== req.expect) {
        failed++;
        if (firstFailures.length < 10) firstFailures.push(`${req.name}: ${res.status === -1 ? res.error ?? 'no answer' : `status ${res.status}, expected ${req.expect}`}`);
      }
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };

  const pace = async (seconds: number): Promise<number> => {
    const started = Date.now();
    const end = started + seconds * 1000;
    let scheduled = 0;
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - started) / 1000) * options.rate);
      while (scheduled < due) {
        scheduled++;
        if (inFlight < MAX_IN_FLIGHT) fire();
      }
      await sleep(TICK_MS);
    }
    return scheduled;
  };

  progress(`warm-up: ${options.warmupSeconds} s at ${options.rate} requests/s`);
  const warmScheduled = await pace(options.warmupSeconds);
  const rssSamples: number[] = [];
  const rssStart = settledEnd([await residentBytes(target.pid, target.port), await sleep(200).then(() => residentBytes(target.pid, target.port)), await sleep(200).then(() => residentBytes(target.pid, target.port))]);
  rssSamples.push(rssStart);
  progress(`measuring: ${options.seconds} s; RSS after warm-up ${(rssStart / 1048576).toFixed(1)} MiB`);
  let sampling = true;
  const sampler = (async () => {
    let last = Date.now();
    while (sampling) {
      await sleep(100);
      if (Date.now() - last >= RSS_EVERY_MS) {
        last = Date.now();
        rssSamples.push(await residentBytes(target.pid, target.port));
        if (rssSamples.length % 15 === 0) progress(`  ${requests} requests, ${failed} failed, RSS ${(rssSamples[rssSamples.length - 1]! / 1048576).toFixed(1)} MiB`);
      }
    }
  })();
  const scheduled = warmScheduled + (await pace(options.seconds));
  await Promise.all(pending);
  rssSamples.push(await residentBytes(target.pid, target.port));
  sampling = false;
  await sampler;
  agent.destroy();
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
