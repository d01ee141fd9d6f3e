import { readFileSync } from 'node:fs';

/**
 * The resident set size of process `pid` in bytes, from /proc (Linux); on other systems from the
 * server's own `process_resident_memory_bytes` (prom-client's default metric, same number).
 */
export async function residentBytes(pid: number, port: number): Promise<number> {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // Not Linux, or the process is gone: ask the server.
  }
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = /^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1];
  if (!value) throw new Error('cannot read the server RSS (no /proc and no process_resident_memory_bytes)');
  return Number(value);
}
