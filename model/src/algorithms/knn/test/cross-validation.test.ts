import { loadIris } from '../../../dataset';
import { loadModelConfigs } from '../../configs';
import { trainModel } from '../../../training';
import { ROOT } from '../../../../test/helpers';
import type { CrossValidation } from '../cross-validation';
import type { KnnParams } from '../describe';

const configs = loadModelConfigs(`${ROOT}/model/models.json`);

describe('choosing k', () => {
  test('when trained, then k is the best cross-validated candidate and every candidate is scored', () => {
    const { scores, hyperparameters } = trainModel(loadIris(), 'M1', configs.M1!);
    const cv = scores.cv as CrossValidation;
    const params = hyperparameters as unknown as KnnParams;
    expect(cv.candidates.map((c) => c.k)).toEqual(configs.M1!.kCandidates);
    const best = Math.max(...cv.candidates.map((c) => c.mean));
    const chosen = cv.candidates.find((c) => c.k === params.k)!;
    expect(chosen.mean).toBe(best);
    expect(chosen.foldScores).toHaveLength(configs.M1!.folds as number);
    expect(cv.mean).toBe(chosen.mean);
  });

  test('when no k candidate fits in the smallest fold, then training refuses and says to use smaller ones', () => {
    expect(() => trainModel(loadIris(), 'M1', { ...configs.M1!, kCandidates: [500] })).toThrow(
      /every k candidate exceeds the \d+ rows of the smallest fold: use smaller kCandidates/,
    );
  });
});
