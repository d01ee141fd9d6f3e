import type { CpuProfile } from '../bench/profile-summary';
import { summariseProfile } from '../bench/profile-summary';
import { cpuMicros } from '../bench/proc';

type Frame = [name: string, url: string];

/** A profile with one node per stack (root first) and one sample of `micros` at each stack's leaf. */
function profileOf(stacks: { frames: Frame[]; micros: number }[]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [] },
  ];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const { frames, micros } of stacks) {
    let parent = nodes[0]!;
    for (const [functionName, url] of frames) {
      const node = {
        id: nodes.length + 1,
        callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 },
        children: [] as number[],
      };
      parent.children!.push(node.id);
      nodes.push(node);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(micros);
  }
  return { nodes, startTime: 1000, samples, timeDeltas };
}

describe('summariseProfile', () => {
  test(
    'when a native write runs under pino or under the response, then it is charged to logs or socket I/O by its ' +
      'callers',
    () => {
      const profile = profileOf([
        {
          frames: [
            ['onData', 'file:///app/node_modules/sonic-boom/index.js'],
            ['write', 'node:fs'],
            ['writeString', ''],
          ],
          micros: 30,
        },
        {
          frames: [
            ['end', 'node:_http_outgoing'],
            ['_writev', 'node:net'],
            ['writev', ''],
          ],
          micros: 50,
        },
        {
          frames: [
            ['check', 'file:///app/api/src/security/auth.ts'],
            ['(anonymous)', 'node:events'],
          ],
          micros: 20,
        },
        { frames: [['(idle)', '']], micros: 400 },
      ]);
      const { busyMicros, byCategory } = summariseProfile(profile);
      expect(busyMicros).toBe(100);
      expect(Object.fromEntries(byCategory)).toEqual({ 'logs (access + prediction)': 30, 'socket I/O': 50, auth: 20 });
    },
  );

  test('when a window is given, then samples outside it are left out', () => {
    const profile = profileOf([
      { frames: [['(garbage collector)', '']], micros: 10 },
      { frames: [['predict', 'file:///app/model/src/preprocess.ts']], micros: 10 },
      { frames: [['(garbage collector)', '']], micros: 10 },
    ]);
    // Samples land at 1010, 1020 and 1030.
    const { byCategory } = summariseProfile(profile, 1015, 1025);
    expect(Object.fromEntries(byCategory)).toEqual({ prediction: 10 });
  });
});

describe('cpuMicros', () => {
  test('when a process works, then its CPU time from /proc grows', () => {
    const before = cpuMicros(process.pid);
    let spent = cpuMicros(process.pid);
    let x = 0;
    while (spent === before) {
      for (let i = 0; i < 1e6; i++) x += Math.sqrt(i);
      spent = cpuMicros(process.pid);
    }
    expect(x).toBeGreaterThan(0);
    expect(spent).toBeGreaterThan(before);
  });
});
