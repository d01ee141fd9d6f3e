import type { ModelArtifact } from './artifact';
import { algorithmOf } from './artifact';

const fixed = (value: number): string => value.toFixed(3);

/** Renders the model card: what the model is, what it was trained on, how well it scores, and where not to use it. */
export function renderModelCard(artifact: ModelArtifact): string {
  const { dataset, hyperparameters: hp, scores } = artifact;
  const described = algorithmOf(artifact).describe(hp, scores, artifact.software);
  const labels = scores.confusionMatrix.labels;
  const lines = [
    `# Model card: ${artifact.name} ${artifact.version}`,
    '',
    described.summary,
    '',
    '## Data',
    '',
    `- Source: ${dataset.source}; ${dataset.rows} rows; sha256 \`${dataset.sha256}\``,
    `- Features: ${dataset.featureNames.join(', ')}`,
    `- Classes: ${dataset.classNames.map((c) => `${c} (${dataset.classCounts[c]})`).join(', ')}`,
    `- Split: ${artifact.split.trainRows} training rows, ${artifact.split.testRows} held-out test rows (stratified, ` +
      `seed ${hp.seed})`,
    '',
    '## Hyperparameters',
    '',
    ...described.hyperparameters,
    '',
    '## Scores on the held-out test split',
    '',
    `- Accuracy: ${fixed(scores.accuracy)}`,
    `- Macro F1: ${fixed(scores.macroF1)}`,
    '',
    '| class | precision | recall | F1 | support |',
    '|---|---|---|---|---|',
    ...Object.entries(scores.perClass).map(
      ([name, s]) => `| ${name} | ${fixed(s.precision)} | ${fixed(s.recall)} | ${fixed(s.f1)} | ${s.support} |`,
    ),
    '',
    '### Confusion matrix (rows: actual, columns: predicted)',
    '',
    `| | ${labels.join(' | ')} |`,
    `|---|${labels.map(() => '---').join('|')}|`,
    ...scores.confusionMatrix.matrix.map((row, i) => `| ${labels[i]} | ${row.join(' | ')} |`),
    '',
    '## Intended use',
    '',
    `Classifying rows with the same ${dataset.featureNames.length} features, in the same units, as the training ` +
      `data. A reference model for the mlship pipeline: the pipeline, not the model, is the product.`,
    '',
    '## Limitations',
    '',
    `- Trained on ${dataset.rows} rows: scores on ${artifact.split.testRows} test rows carry wide uncertainty (one ` +
      `row is ${fixed(1 / Math.max(artifact.split.testRows, 1))} of accuracy).`,
    ...described.limitations,
    "- Standardization uses the training split's mean and standard deviation; a shift in input units or scale " +
      'silently changes answers.',
    '',
    `Artifact sha256: \`${artifact.sha256}\``,
    '',
  ];
  return lines.join('\n');
}
