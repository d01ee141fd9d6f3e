import { join } from 'node:path';
import { trainedModelDir } from '../../api/test/helpers';
import { startServer } from '../../api/test/server-process';
import type { RunningServer } from '../../api/test/server-process';
import { run } from './run';
import { ROOT, describeWithTools } from './venv';

/**
 * The Open Inference Protocol routes called by the real KServe/Triton Python client
 * (tritonclient.http, pinned in requirements-tools.txt) against the built server: the unittest
 * suite in tools/python/oip_triton_client.py, run with the venv's python.
 */
describeWithTools('tritonclient.http against the OIP routes', ['python'], ({ python }) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ MODEL_DIR: trainedModelDir() });
    if (server.port < 0) throw new Error(`server did not start: ${server.output()}`);
  }, 30_000);
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  test(
    'when the Triton client suite runs (live, ready, metadata, FP32/FP64 infer in binary and JSON, requested ' +
      'outputs, errors), then every case passes',
    async () => {
      const result = await run(python!, [join(ROOT, 'tools/python/oip_triton_client.py')], {
        env: { OIP_URL: `127.0.0.1:${server.port}`, OIP_AUTH: 'alice:wonderland', OIP_MODELS: 'M1,M2' },
        timeoutMs: 60_000,
      });
      if (result.status !== 0) throw new Error(`tritonclient suite failed (exit ${result.status}):\n${result.output}`);
      expect(result.output).toMatch(/\nRan 9 tests in [\d.]+s\n\nOK\s*$/);
    },
    90_000,
  );
});
