import type { MetricsFile } from '../src/registry-files';
import { evaluateGate, renderGateMarkdown } from '../src/quality-gate';

function metrics(accuracy: number, macroF1: number, version = 'aaaaaaaaaaaa'): MetricsFile {
  return { name: 'M1', version, scores: { accuracy, macroF1 } } as unknown as MetricsFile;
}
const thresholds = { minAccuracy: 0.9, minMacroF1: 0.9, maxRegression: 0.02 };

describe('quality gate', () => {
  test('when scores meet thresholds and there is no baseline, then it passes', () => {
    const result = evaluateGate(metrics(0.95, 0.94), thresholds);
    expect(result.passed).toBe(true);
    expect(renderGateMarkdown([result])).toContain('No baseline for M1');
  });

  test('when a score is under its threshold, then it fails and says which', () => {
    const result = evaluateGate(metrics(0.95, 0.85), thresholds);
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => c.metric === 'macroF1')!.reason).toMatch(/below the threshold 0.9/);
  });

  test('when a score drops more than the tolerance below the baseline, then it fails as a regression', () => {
    const result = evaluateGate(metrics(0.93, 0.97), thresholds, metrics(0.97, 0.97, 'bbbbbbbbbbbb'));
    expect(result.passed).toBe(false);
    expect(result.baselineVersion).toBe('bbbbbbbbbbbb');
    const accuracy = result.checks.find((c) => c.metric === 'accuracy')!;
    expect(accuracy.delta).toBeCloseTo(-0.04, 12);
    expect(accuracy.reason).toMatch(/fell 0.0400 below the baseline/);
  });

  test('when a score drops exactly by the tolerance, then it still passes', () => {
    expect(evaluateGate(metrics(0.95, 0.95), thresholds, metrics(0.97, 0.97)).passed).toBe(true);
  });

  test('when rendered, then the markdown table has a row per model and metric', () => {
    const md = renderGateMarkdown([evaluateGate(metrics(0.95, 0.94), thresholds, metrics(0.9, 0.9))]);
    expect(md).toContain('### Model gate: ✅ passed');
    expect(md).toContain('| M1 | aaaaaaaaaaaa | accuracy | 0.9500 | 0.9000 | +0.0500 | ≥ 0.9 | pass |');
  });
});
