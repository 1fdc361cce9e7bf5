/**
 * Free TCP ports on 127.0.0.1 for peers that must be told their port on the
 * command line (Prometheus, vmagent, the gateway). Servers we own in-process
 * listen on port 0 instead (STYLE.md rule 24).
 *
 * The port is found by binding port 0 and closing the socket, so another
 * process could take it before the peer binds it. Ports handed out by this
 * process are remembered and never handed out twice, which removes the race
 * between peers of one test file; the small race with foreign processes is
 * accepted (a peer that loses it fails fast with "address already in use",
 * and its captured stderr says so).
 */
import { createServer } from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

const handedOut = new Set<number>();
const MAX_ATTEMPTS = 20;

/** Binds port 0 on loopback once and returns the port the kernel chose. */
function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK_HOST, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(
          new Error('cannot get a free port: the socket has no TCP address')
        );
        return;
      }
      const { port } = address;
      server.close(err => (err === undefined ? resolve(port) : reject(err)));
    });
  });
}

/** Returns a TCP port on 127.0.0.1 that is free now and new to this process. */
export async function getFreePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await probeFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(
    `cannot get a free port: ${MAX_ATTEMPTS} probes returned ports already handed out`
  );
}
