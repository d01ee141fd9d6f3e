/** Every overlay and component combination a deployer may render; the tests render all of them. */
export interface Combination {
  overlay: 'kind' | 'production';
  components: readonly string[];
}

/**
 * kind deletes the CPU autoscaler (no metrics-server), so custom-metrics-hpa has nothing to
 * patch there; custom-metrics-hpa and keda both scale v1 and exclude each other. retraining
 * (the PVC registry and the training Job) goes with any of them.
 */
export const COMBINATIONS: readonly Combination[] = [
  { overlay: 'kind', components: [] },
  { overlay: 'kind', components: ['monitoring'] },
  { overlay: 'kind', components: ['keda'] },
  { overlay: 'kind', components: ['monitoring', 'keda'] },
  { overlay: 'kind', components: ['retraining'] },
  { overlay: 'production', components: [] },
  { overlay: 'production', components: ['monitoring'] },
  { overlay: 'production', components: ['custom-metrics-hpa'] },
  { overlay: 'production', components: ['keda'] },
  { overlay: 'production', components: ['monitoring', 'custom-metrics-hpa'] },
  { overlay: 'production', components: ['monitoring', 'keda'] },
  { overlay: 'production', components: ['retraining'] },
  { overlay: 'production', components: ['monitoring', 'keda', 'retraining'] },
];

/** A readable test label: `production + monitoring + keda`. */
export function label(c: Combination): string {
  return [c.overlay, ...c.components].join(' + ');
}
