/**
 * Bounded waiting for the live checks that need the answer itself, not only whether it came
 * (pods.ts's waitUntil): ask again until the answer is the one wanted or the time is up, never a
 * fixed sleep standing in for "long enough"; and a JSON GET that says why it got nothing.
 */
import type { Polled } from '../../../scripts/support/poll-until';
import { pollUntil as pollEvery } from '../../../scripts/support/poll-until';

export type { Polled };

/** Calls `probe` every `intervalMs` (default 1 s) until `done(answer)` or `timeoutSeconds` have passed. */
export function pollUntil<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutSeconds: number; intervalMs?: number },
): Promise<Polled<T>> {
  return pollEvery(probe, done, { timeoutMs: options.timeoutSeconds * 1000, intervalMs: options.intervalMs ?? 1000 });
}

/** The JSON a URL answers (5 s at most), or the reason there is none. */
export async function getJson<T>(url: string): Promise<{ ok: true; body: T } | { ok: false; error: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    return { ok: true, body: (await response.json()) as T };
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return { ok: false, error: cause?.code ?? (error as Error).message };
  }
}
