import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isCi, isTcpReachable, peerGate } from '../../helpers/peer-gate.js';
import { LOOPBACK_HOST, getFreePort } from '../../helpers/free-port.js';

describe('peerGate()', () => {
  it.each([
    [true, {}, 'run'],
    [true, { CI: 'true' }, 'run'],
    [false, {}, 'skip'],
    [false, { CI: 'false' }, 'skip'],
    [false, { CI: '' }, 'skip'],
    [false, { CI: 'true' }, 'fail'],
    [false, { CI: '1' }, 'fail'],
  ] as const)('available=%s env=%j -> %s', (isAvailable, env, want) => {
    expect(peerGate(isAvailable, env)).toBe(want);
  });

  it('reads CI from the process environment by default', () => {
    expect(isCi()).toBe(isCi(process.env));
  });
});

describe('isTcpReachable()', () => {
  it('sees a listening port and a closed one', async () => {
    const server = createServer();
    await new Promise<void>(resolve =>
      server.listen(0, LOOPBACK_HOST, resolve)
    );
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('cannot read the test server address');
    try {
      await expect(isTcpReachable(LOOPBACK_HOST, address.port)).resolves.toBe(
        true
      );
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
    const closedPort = await getFreePort();
    await expect(isTcpReachable(LOOPBACK_HOST, closedPort)).resolves.toBe(
      false
    );
  });
});
