import { join } from 'node:path';
import { resolveCommit } from '../bench/ab-builds';
import type { Figure, RoundResult } from '../bench/ab-figures';
import { compare, comparisonTable, FIGURES, median, verdictOf } from '../bench/ab-figures';
import { parseAbOptions } from '../bench/ab-options';

const ROOT = join(__dirname, '..', '..');

describe('parseAbOptions', () => {
  test('when only --against is given, then the defaults are 3 rounds of 10 s on M1 with a 5% tolerance', () => {
    expect(parseAbOptions(['--against', 'main'])).toEqual({
      against: 'main',
      rounds: 3,
      seconds: 10,
      model: 'M1',
      tolerancePercent: 5,
      json: false,
    });
  });

  test('when every option is given, then each is read', () => {
    expect(
      parseAbOptions([
        '--against=v1.2',
        '--rounds',
        '5',
        '--seconds',
        '4',
        '--model',
        'M3',
        '--tolerance',
        '2.5',
        '--json',
      ]),
    ).toEqual({
      against: 'v1.2',
      rounds: 5,
      seconds: 4,
      model: 'M3',
      tolerancePercent: 2.5,
      json: true,
    });
  });

  test.each([
    [[], /--against <git-ref> is required/],
    [['--against', ''], /--against <git-ref> is required/],
    [['--against', 'main', '--rounds', '0'], /--rounds must be a positive integer, got "0"/],
    [['--against', 'main', '--seconds', '1.5'], /--seconds must be a positive integer/],
    [['--against', 'main', '--tolerance=-1'], /--tolerance must be a percentage/],
    [['--against', 'main', '--tolerance', '-1'], /argument is ambiguous.*usage: npm run bench:ab/],
    [['--against'], /'--against <value>' argument missing.*usage: npm run bench:ab/],
    [['--against', 'main', '--model', '../x'], /--model must name a model/],
    [['--against', 'main', '--round', '2'], /Unknown option '--round'.*usage: npm run bench:ab/],
    [['--against', 'main', 'extra'], /extra.*usage: npm run bench:ab/],
  ])('when the arguments are %j, then it throws one line that says what to fix', (args, message) => {
    expect(() => parseAbOptions(args)).toThrow(message);
    try {
      parseAbOptions(args);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('resolveCommit', () => {
  test('when the ref is HEAD, then it answers the full sha', () => {
    expect(resolveCommit(ROOT, 'HEAD')).toMatch(/^[0-9a-f]{40}$/);
  });

  test('when the ref names nothing, then it throws one line naming the ref', () => {
    expect(() => resolveCommit(ROOT, 'no-such-branch-7f3a')).toThrow(
      '--against no-such-branch-7f3a: no such commit in this repository',
    );
  });
});

describe('median', () => {
  test.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[7], 7],
    [[NaN, 5, 1], 3],
    [[], NaN],
  ])('when the values are %j, then the median is %p', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe('verdictOf', () => {
  test.each([
    [94, 'higher', 'worse'],
    [95, 'higher', 'within'],
    [106, 'higher', 'better'],
    [106, 'lower', 'worse'],
    [105, 'lower', 'within'],
    [90, 'lower', 'better'],
    [NaN, 'lower', 'not compared'],
  ] as const)(
    'when new is %p%% of old and %s is better, then with a 5%% tolerance it is %s',
    (percent, better, verdict) => {
      expect(verdictOf(percent, better, 5)).toBe(verdict);
    },
  );
});

describe('compare and comparisonTable', () => {
  const figures: Figure[] = [
    { bench: 'api', key: 'cpuMicrosPerRequest', label: 'CPU µs per request', better: 'lower' },
    { bench: 'model', key: 'batchPredictionsPerSecond', label: 'batch rows/s', better: 'higher' },
    { bench: 'model', key: 'onlyOld', label: 'a figure only the old build prints', better: 'higher' },
  ];
  const round = (cpu: number, batch: number, extra: Record<string, unknown> = {}): RoundResult => ({
    api: { cpuMicrosPerRequest: cpu },
    model: { batchPredictionsPerSecond: batch, ...extra },
  });
  const old = [
    round(100, 400_000, { onlyOld: 1 }),
    round(120, 500_000, { onlyOld: 1 }),
    round(110, 450_000, { onlyOld: 1 }),
  ];
  const now = [round(130, 300_000), round(90, 480_000), round(121, 460_000)];
  const comparisons = compare(old, now, 5, figures);

  test('when both builds print a figure, then its medians, new / old and verdict come from every round', () => {
    expect(comparisons[0]).toMatchObject({
      old: [100, 120, 110],
      new: [130, 90, 121],
      oldMedian: 110,
      newMedian: 121,
      verdict: 'worse',
    });
    expect(comparisons[0]!.percent).toBeCloseTo(110, 6);
    expect(comparisons[1]).toMatchObject({ oldMedian: 450_000, newMedian: 460_000, verdict: 'within' });
  });

  test('when only one build prints a figure, then it is not compared', () => {
    expect(comparisons[2]).toMatchObject({ oldMedian: 1, verdict: 'not compared' });
    expect(comparisons[2]!.newMedian).toBeNaN();
  });

  test('when tabled, then each figure is one markdown row with every round, the medians and new / old', () => {
    const lines = comparisonTable(comparisons, 'old', 'new', 5).split('\n');
    expect(lines[0]).toBe(
      '| figure | better | old: each round | new: each round | old median | new median | new / old | ±5% |',
    );
    expect(lines[2]).toBe('| CPU µs per request | lower | 100, 120, 110 | 130, 90, 121 | 110 | 121 | 110.0% | worse |');
    expect(lines[3]).toBe(
      '| batch rows/s | higher | 400,000, 500,000, 450,000 | 300,000, 480,000, 460,000 | 450,000 | 460,000 | 102.2% ' +
        '| within |',
    );
    expect(lines[4]).toBe(
      '| a figure only the old build prints | higher | 1, 1, 1 | -, -, - | 1 | - | - | not compared |',
    );
  });

  test('when the default figures are listed, then each names a key of bench:api or bench:model once', () => {
    const keys = FIGURES.map((f) => `${f.bench}.${f.key}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(
      expect.arrayContaining([
        'api.ratio',
        'api.cpuMicrosPerRequest',
        'api.batchRowsPerSecond',
        'api.startToReadyMs',
        'api.rssMb',
        'model.batchPredictionsPerSecond',
      ]),
    );
  });
});
