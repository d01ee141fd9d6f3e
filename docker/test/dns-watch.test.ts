import { questionName } from '../e2e/dns-watch';

/** The question a lookup asks, read from the packet as the image contract's name server reads it. */
function query(name: string): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
  const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, 0x00, 0x01, 0x00, 0x01])]);
}

describe('questionName', () => {
  test('when a query asks for a name, then that name is read back', () => {
    expect(questionName(query('mobile.events.data.microsoft.com'))).toBe('mobile.events.data.microsoft.com');
  });

  test('when the packet holds no question, then it says so instead of throwing', () => {
    expect(questionName(Buffer.from([1, 2, 3]))).toBe('(unreadable)');
    expect(questionName(query('a').subarray(0, 13))).toBe('(unreadable)');
  });
});
