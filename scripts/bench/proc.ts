import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's CPU times (100 on Linux almost always). */
function clockTicksPerSecond(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(out.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

const TICKS_PER_SECOND = clockTicksPerSecond();

/**
 * CPU time `pid` has used so far, user plus system, in microseconds: every thread of the process
 * (V8's GC helpers and libuv's pool included). Fields 14 and 15 of /proc/<pid>/stat; the command
 * name before them is in parentheses and may hold spaces, so fields are counted after the last `)`.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / TICKS_PER_SECOND;
}

/**
 * Resident memory of `pid` in MB, from /proc/<pid>/status: all of it (VmRSS), and its anonymous part
 * (RssAnon: heaps, stacks, buffers). The rest is mapped files (node's code, a native library such as
 * onnxruntime's), which processes of the same image share and the kernel can drop under pressure.
 */
export function memoryMb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024 };
}

/** Samples `pid`'s memory every 250 ms until `stop()` returns the peaks of both figures. */
export function sampleRss(pid: number): { stop(): { rss: number; anon: number } } {
  const peak = memoryMb(pid);
  const sample = (): void => {
    const now = memoryMb(pid);
    peak.rss = Math.max(peak.rss, now.rss);
    peak.anon = Math.max(peak.anon, now.anon);
  };
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
