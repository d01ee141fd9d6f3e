import type { Random } from './random';
import { shuffled } from './random';

/** Row indexes grouped by class, each group shuffled by `random` (class order fixed). */
function shuffledByClass(y: readonly number[], classCount: number, random: Random): number[][] {
  const groups: number[][] = Array.from({ length: classCount }, () => []);
  y.forEach((label, i) => groups[label]?.push(i));
  return groups.map((group) => shuffled(group, random));
}

/** Rows held out for testing from a class of `size` rows: a `fraction` of it, at least one. */
export function testRowsForClass(size: number, fraction: number): number {
  return Math.max(1, Math.round(size * fraction));
}

/** A stratified train/test split: each class keeps its share in both parts. Indexes are sorted. */
export function stratifiedSplit(
  y: readonly number[],
  classCount: number,
  testFraction: number,
  random: Random,
): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (const group of shuffledByClass(y, classCount, random)) {
    const nTest = testRowsForClass(group.length, testFraction);
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * Stratified k-fold: deals each class's shuffled rows round-robin into `folds` folds. Returns, per
 * fold, positions into `y` for validation and for fitting.
 */
export function stratifiedKFold(
  y: readonly number[],
  classCount: number,
  folds: number,
  random: Random,
): Array<{ fit: number[]; validate: number[] }> {
  const foldOf = new Array<number>(y.length);
  let next = 0;
  for (const group of shuffledByClass(y, classCount, random)) {
    for (const index of group) foldOf[index] = next++ % folds;
  }
  return Array.from({ length: folds }, (_, fold) => ({
    fit: y.map((_, i) => i).filter((i) => foldOf[i] !== fold),
    validate: y.map((_, i) => i).filter((i) => foldOf[i] === fold),
  }));
}
