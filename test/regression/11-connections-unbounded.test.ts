/**
 * Issue #11, finding 4: connections were unbounded. The server set only
 * `keepAliveTimeout`, so Node's defaults applied (headers 60 s checked every
 * 30 s, whole request 300 s, no cap): 2,000 idle connections and a slowloris
 * were all still open after 80 s. Now every kind of slow or idle connection
 * is closed within its timeout, and one address cannot hold more than its cap.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { createLogger } from '../../src/telemetry/index.js';
import { waitFor } from '../helpers/peers.js';
import { ConnectionPool } from '../helpers/raw-connections.js';

const TOKEN = 'regression-11-token-0123456789';
const TIMEOUT_MS = 1000;
/** Node's timer check interval, scheduling, and a loaded machine. */
const MARGIN_MS = 2500;

const pool = new ConnectionPool();
let gateway: RunningGateway | undefined;
let dir: string | undefined;
/** The gateway's log lines (debug and up). */
let logLines: string[] = [];

afterEach(async () => {
  await pool.destroyAll();
  await gateway?.close();
  gateway = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningGateway> {
  logLines = [];
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-regression-11-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(
    configPath,
    `server:
  shutdown_timeout: 1s
  headers_timeout: ${TIMEOUT_MS}ms
  body_timeout: ${TIMEOUT_MS}ms
  min_body_rate: 1000
  idle_timeout: ${TIMEOUT_MS}ms
  max_connections_per_source: 4
clusters:
  - {name: prod-eu, region: eu, env: prod, team: a, token: ${TOKEN}}
`
  );
  gateway = await startGateway({
    configPath,
    listen: '127.0.0.1:0',
    logger: createLogger({
      level: 'debug',
      destination: { write: (line: string) => logLines.push(line) },
    }),
    env: {},
  });
  return gateway;
}

describe('connections (regression: issue 11, finding 4)', () => {
  it('are closed when silent, slow in their headers or body, or idle after a request', async () => {
    const { port } = await start();
    const [silent, slowHeaders, slowBody, keptAlive] = await pool.openMany(
      port,
      '127.0.0.1',
      4
    );
    pool.trickle(
      [slowHeaders!],
      'GET /-/healthy HTTP/1.1\r\n',
      'X: 1\r\n',
      200
    );
    pool.trickle(
      [slowBody!],
      `POST /api/v1/write HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 5000\r\n\r\n`,
      'x',
      200
    );
    keptAlive!.socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    const all = [silent!, slowHeaders!, slowBody!, keptAlive!];
    await waitFor(
      () => all.every(c => c.closedAtMs !== undefined),
      TIMEOUT_MS + MARGIN_MS,
      { description: 'every connection closed by the server', intervalMs: 50 }
    );
    expect(all.every(c => c.closedByServer)).toBe(true);
    expect(keptAlive!.received).toMatch(/^HTTP\/1\.1 200 /);
    const timedOut = (reason: string) =>
      gateway!.metrics.connectionsTimedOut
        .get()
        .then(m => m.values.find(v => v.labels['reason'] === reason)?.value);
    expect(await timedOut('headers')).toBe(2);
    expect(await timedOut('body')).toBe(1);
    expect(await timedOut('idle')).toBe(1);
    // Each reap is logged at debug, and no line carries the token.
    const debug = logLines
      .map(line => JSON.parse(line) as { level: string; msg: string })
      .filter(r => r.level === 'debug')
      .map(r => r.msg);
    expect(
      debug.filter(m => m === 'connection closed: headers timeout')
    ).toHaveLength(2);
    expect(
      debug.filter(m => m === 'connection closed: idle timeout')
    ).toHaveLength(1);
    expect(
      debug.filter(m => m.startsWith('cannot read request body: '))
    ).toHaveLength(1);
    expect(logLines.join('')).not.toContain(TOKEN);
  });

  it('from one address are capped, and the ones over the cap closed at once', async () => {
    const { port } = await start();
    const held = await pool.openMany(port, '127.0.0.1', 4);
    const over = await pool.open(port, '127.0.0.1');
    await waitFor(() => over.closedAtMs !== undefined, MARGIN_MS, {
      description: 'the connection over the cap closed',
      intervalMs: 50,
    });
    expect(over.closedByServer).toBe(true);
    expect(held.every(c => c.closedAtMs === undefined)).toBe(true);
    const other = await pool.open(port, '127.0.0.2');
    other.socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => other.received.startsWith('HTTP/1.1 200 '), 2000, {
      description: 'the other address served',
    });
  });
});
