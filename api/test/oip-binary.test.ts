import request from 'supertest';
import { ALICE, makeApp } from './helpers';

/**
 * The binary tensor data extension as tritonclient sends it: a JSON inference header, then raw
 * little-endian tensor bytes, split by `Inference-Header-Content-Length`; outputs come back the
 * same way when asked for. No Content-Type is what tritonclient sends.
 */
describe('Open Inference Protocol, binary tensor data extension', () => {
  const { app } = makeApp();
  const rows = [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ];
  const fp32 = (values: number[]): Buffer => {
    const out = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => out.writeFloatLE(v, i * 4));
    return out;
  };
  const send = (header: object, tensor: Buffer, headerLength?: string) => {
    const json = Buffer.from(JSON.stringify(header));
    return request(app)
      .post('/v2/models/M1/infer')
      .set({
        Authorization: ALICE,
        'Inference-Header-Content-Length': headerLength ?? String(json.length),
        'Content-Type': 'application/octet-stream',
      })
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .send(Buffer.concat([json, tensor]));
  };
  const input = (size: number) => ({
    name: 'input-0',
    shape: [2, 4],
    datatype: 'FP32',
    parameters: { binary_data_size: size },
  });

  test(
    'when inputs are binary and outputs are asked for as binary, then the labels and probabilities come back as ' +
      'bytes after the JSON header',
    async () => {
      const tensor = fp32(rows.flat());
      const res = await send({ inputs: [input(tensor.length)], parameters: { binary_data_output: true } }, tensor);
      expect(res.status).toBe(200);
      const body = res.body as Buffer;
      const headerLength = Number(res.headers['inference-header-content-length']);
      const header = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as {
        outputs: Array<{ name: string; parameters: { binary_data_size: number } }>;
      };
      expect(header.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
      let offset = headerLength;
      const labels: string[] = [];
      for (let i = 0; i < 2; i++) {
        const length = body.readUInt32LE(offset);
        labels.push(body.subarray(offset + 4, offset + 4 + length).toString('utf8'));
        offset += 4 + length;
      }
      expect(labels).toEqual(['setosa', 'virginica']);
      expect(offset - headerLength).toBe(header.outputs[0]!.parameters.binary_data_size);
      const probabilities = Array.from({ length: 6 }, (_, i) => body.readDoubleLE(offset + i * 8));
      expect(header.outputs[1]!.parameters.binary_data_size).toBe(48);
      expect(probabilities[0]! + probabilities[1]! + probabilities[2]!).toBeCloseTo(1, 12);
    },
  );

  test('when inputs are binary and one output is asked for in JSON, then the response is plain JSON', async () => {
    const tensor = fp32(rows.flat());
    const res = await send(
      { inputs: [input(tensor.length)], outputs: [{ name: 'label', parameters: { binary_data: false } }] },
      tensor,
    );
    expect(res.status).toBe(200);
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    expect(JSON.parse((res.body as Buffer).toString('utf8')).outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['setosa', 'virginica'] },
    ]);
  });

  test.each([
    [
      'a binary_data_size that is not the bytes sent',
      (t: Buffer) => [{ inputs: [input(t.length + 4)] }, t],
      /must equal the 32 bytes/,
    ],
    [
      'bytes too few for the shape',
      (t: Buffer) => [{ inputs: [input(16)] }, t.subarray(0, 16)],
      /8 FP32 values need 32/,
    ],
    [
      'a NaN in the tensor',
      (t: Buffer) => [{ inputs: [input(t.length)] }, Buffer.concat([t.subarray(0, 28), fp32([NaN])])],
      /finite numbers/,
    ],
    [
      'a header length past the body',
      (t: Buffer) => [{ inputs: [input(t.length)] }, t, '99999'],
      /Inference-Header-Content-Length must be/,
    ],
  ] as Array<[string, (t: Buffer) => [object, Buffer, string?], RegExp]>)(
    'when the request has %s, then 400 with the reason',
    async (_what, build, message) => {
      const [header, tensor, headerLength] = build(fp32(rows.flat()));
      const res = await send(header, tensor, headerLength);
      expect(res.status).toBe(400);
      expect(JSON.parse((res.body as Buffer).toString('utf8')).error).toMatch(message);
    },
  );

  test('when JSON comes with no Content-Type (as tritonclient sends it), then it is read as JSON', async () => {
    const res = await request(app)
      .post('/v2/models/M1/infer')
      .set('Authorization', ALICE)
      .unset('Content-Type')
      .send(
        Buffer.from(
          JSON.stringify({
            inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP64', data: rows[0] }],
            outputs: [{ name: 'label' }],
          }),
        ),
      );
    expect(res.status).toBe(200);
  });
});
