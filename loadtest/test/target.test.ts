import { forbiddenAddress, vetTarget } from '../src/runner/target';

const resolveTo = (addresses: string[]) => () => Promise.resolve(addresses);

describe('which URLs the local runner loads', () => {
  test.each(['http://127.0.0.1:8000', 'http://localhost:18700/', 'http://[::1]:8000', 'https://127.1.2.3'])(
    'when the URL is loopback (%s), then it is allowed',
    async (url) => {
      await expect(vetTarget(url)).resolves.toMatchObject({ base: expect.stringMatching(/^https?:\/\/[^/]+$/) });
    },
  );

  test('when a public host is not named with --allow-host, then it is refused', async () => {
    await expect(vetTarget('https://api.example.com', undefined, resolveTo(['93.184.216.34']))).rejects.toThrow(
      /only loopback by default; name the host again with --allow-host api.example.com/,
    );
  });

  test('when a public host is named with --allow-host, then it is allowed', async () => {
    await expect(
      vetTarget('https://api.example.com', 'api.example.com', resolveTo(['93.184.216.34'])),
    ).resolves.toBeDefined();
  });

  test.each(['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.10', '169.254.169.254'])(
    'when the host is %s, then it is refused even with --allow-host',
    async (ip) => {
      await expect(vetTarget(`http://${ip}:8000`, ip)).rejects.toThrow(/refusing to load/);
    },
  );

  test('when a named host resolves into a private range, then it is refused', async () => {
    await expect(vetTarget('http://internal.example', 'internal.example', resolveTo(['10.0.0.7']))).rejects.toThrow(
      /10.0.0.7 is a private address/,
    );
  });

  test.each([
    ['not a URL', 'nope', /not a URL/],
    ['another scheme', 'ftp://127.0.0.1', /http or https/],
    ['credentials in it', 'http://u:p@127.0.0.1', /credentials/],
  ])('when --url is %s, then it is refused with a reason', async (_what, url, message) => {
    await expect(vetTarget(url)).rejects.toThrow(message);
  });

  test('when checking ranges, then 172.15 and 172.32 are not private but 172.16-31 are', () => {
    expect(forbiddenAddress('172.15.0.1')).toBeUndefined();
    expect(forbiddenAddress('172.32.0.1')).toBeUndefined();
    expect(forbiddenAddress('172.20.0.1')).toMatch(/private/);
    expect(forbiddenAddress('::ffff:192.168.0.1')).toMatch(/private/);
  });
});
