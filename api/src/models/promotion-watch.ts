import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelStore } from './model-store';

/** What a reload attempt did: undefined when the new versions serve, else the problem. */
export type ReloadAttempt = () => string | undefined;

/**
 * Notices a new promotion of a served model (its `<MODEL_DIR>/<name>/current` changed), or, when the
 * store discovers models (MODELS unset), a model promoted for the first time, and asks for a
 * reload, which verifies every new version and swaps all or none (ModelStore.reload).
 *
 * It polls the pointer files rather than watching them: a Kubernetes PVC, an NFS share or a bind
 * mount may never deliver inotify events for a write made by another pod or host, and a poll of
 * a few small files (and a listing of the registry) every couple of seconds costs nothing next to
 * the traffic. The timer runs off
 * the request path, is unref'd (it never keeps a finished process alive) and stops on drain.
 *
 * A promotion that fails to load is refused once per pointer state: the old models keep serving,
 * the problem is reported once (not on every poll), and the next change of any pointer is tried.
 */
export class PromotionWatch {
  private timer: NodeJS.Timeout | undefined;
  /** The pointer state last refused; not tried again until a pointer changes. */
  private refused: string | undefined;

  constructor(
    private readonly modelDir: string,
    private readonly store: ModelStore,
    private readonly reload: ReloadAttempt,
    private readonly onRefused: (problem: string, pointers: Record<string, string>) => void,
  ) {}

  /** Checks every `intervalMs`; 0 leaves the watch off. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll: reloads when a pointer names another version than the one served. Returns what it did. */
  check(): 'unchanged' | 'reloaded' | 'refused' | 'already-refused' {
    const pointers = this.readPointers();
    const state = JSON.stringify(pointers);
    const served = Object.entries(pointers).every(([name, pointer]) => this.store.get(name)?.version === pointer);
    if (served) {
      this.refused = undefined;
      return 'unchanged';
    }
    if (state === this.refused) return 'already-refused';
    const problem = this.reload();
    if (problem === undefined) {
      this.refused = undefined;
      return 'reloaded';
    }
    this.refused = state;
    this.onRefused(problem, pointers);
    return 'refused';
  }

  /**
   * Each wanted model's pointer as written (trimmed, at most 100 characters); a missing or unreadable one reads as "".
   */
  private readPointers(): Record<string, string> {
    const pointers: Record<string, string> = {};
    for (const name of this.store.wanted()) {
      try {
        pointers[name] = readFileSync(join(this.modelDir, name, 'current'), 'utf8')
          .trim()
          .slice(0, 100);
      } catch {
        pointers[name] = '';
      }
    }
    return pointers;
  }
}
