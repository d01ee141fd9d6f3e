import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, ROOT, runInFreshHome, tempDir } from '../../../../test/helpers';

/**
 * onnxruntime's own telemetry stays off. Outside CI it writes a device id and an event cache under
 * `~/.cache/Microsoft` when it loads and tries to upload them; with `session.ts`'s opt-out removed,
 * this test finds those two files (it was run that way once and failed).
 */
describe('onnxruntime telemetry', () => {
  test('when training evaluates the ONNX model outside CI, then nothing is written to the home directory', () => {
    const work = tempDir();
    try {
      const modelDir = join(work, 'models');
      const run = runInFreshHome(process.execPath, [
        join(ROOT, 'dist/model/src/train.js'),
        '--model',
        'M4',
        '--model-dir',
        modelDir,
      ]);
      expect(run).toMatchObject({ code: 0, homeFiles: [] });
      expect(listFiles(modelDir).length).toBeGreaterThan(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
