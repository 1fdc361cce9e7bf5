import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetClusterHandler, fleetHandler } from '../api/index.js';
import { createErrorHandler } from '../api/index.js';
import { ClusterRegistry } from '../fleet/index.js';
import { FleetTracker } from '../fleet/index.js';
import { SelfMetrics, silentLogger } from '../telemetry/index.js';
import { runFleetCommand, type FleetCommandIo } from './fleet-command.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const S = 1000;
const M = 60 * S;

const registry = new ClusterRegistry([
  {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    labels: {},
  },
  {
    name: 'prod-us',
    region: 'us-east-1',
    env: 'prod',
    team: 'payments',
    labels: {},
  },
  { name: 'dev-us', region: 'us-east-1', env: 'dev', team: 'web', labels: {} },
]);

let clock = T0;
const servers: Server[] = [];

function tracker(): FleetTracker {
  return new FleetTracker({
    registry: () => registry,
    thresholds: () => ({
      stale_after: 5 * M,
      down_after: 15 * M,
      max_clock_skew: 5 * M,
    }),
    now: () => clock,
  });
}

/** prod-eu healthy; prod-us (optionally) with its clock 8 minutes ahead; dev-us never seen. */
function feed(t: FleetTracker, options: { isProdUsSkewed: boolean }): void {
  for (let i = 0; i < 8; i++) {
    t.recordIngest(
      'prod-eu',
      'metrics',
      { samples: 1500, newestSampleMs: clock - 10 * S },
      clock
    );
    t.recordIngest(
      'prod-us',
      'metrics',
      {
        samples: 50,
        newestSampleMs: clock + (options.isProdUsSkewed ? 8 * M : 0),
      },
      clock
    );
    clock += 10 * S;
  }
}

async function listen(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>(resolve => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A throwaway gateway: the fleet handlers over a tracker, on port 0. */
function serve(t: FleetTracker): Promise<string> {
  const app = express();
  app.get('/api/v1/fleet', fleetHandler({ fleet: t }));
  app.get('/api/v1/fleet/clusters/:cluster', fleetClusterHandler({ fleet: t }));
  app.use(
    createErrorHandler({
      logger: silentLogger(),
      metrics: new SelfMetrics({ collectProcessMetrics: false }),
      remoteWriteOverloadStatus: () => 503,
    })
  );
  return listen(app);
}

function capture(
  options: { isTTY?: boolean; env?: Record<string, string> } = {}
): {
  io: FleetCommandIo;
  out: () => string;
  err: () => string;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: {
        write: (text: string) => out.push(text),
        isTTY: options.isTTY ?? false,
      },
      stderr: { write: (text: string) => err.push(text) },
      env: options.env ?? {},
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

afterEach(async () => {
  clock = T0;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }
});

describe('runFleetCommand()', () => {
  it('prints the fleet as a plain table when stdout is not a terminal, and exits 1 on a degraded cluster', async () => {
    const t = tracker();
    feed(t, { isProdUsSkewed: true });
    t.recordIngest('kind-laptop', 'metrics', { samples: 1 }, clock - 65 * S);
    const url = await serve(t);
    const { io, out, err } = capture();
    expect(await runFleetCommand(['--url', url], io)).toBe(1);
    expect(err()).toBe('');
    const text = out();
    expect(text).not.toContain('\x1b[');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^CLUSTER\s+STATE\s+REGION\s+ENV\s+LAST SEEN\s+SAMPLES\/S\s+SKEW\s+REASONS$/
    );
    expect(lines[1]).toMatch(
      /^prod-us\s+degraded\s+us-east-1\s+prod\s+10s ago\s+5\s+\+8m\s+clock_skew$/
    );
    expect(lines[2]).toMatch(
      /^dev-us\s+unknown\s+us-east-1\s+dev\s+never\s+0\s+-\s+-$/
    );
    expect(lines[3]).toMatch(
      /^prod-eu\s+healthy\s+eu-west-1\s+prod\s+10s ago\s+150\s+0s\s+-$/
    );
    expect(lines[4]).toMatch(
      /^kind-laptop\s+unregistered\s+unknown\s+unknown\s+1m5s ago\s+/
    );
    expect(text).toContain(
      'prod-us: clock_skew: clock 8m ahead: newest samples arrive stamped 480s in the future'
    );
    expect(text).toContain(
      '4 clusters: 1 healthy, 1 degraded, 1 unknown, 1 unregistered\n'
    );
  });

  it('colours the states on a terminal, unless NO_COLOR is set', async () => {
    const t = tracker();
    feed(t, { isProdUsSkewed: true });
    const url = await serve(t);
    const tty = capture({ isTTY: true });
    await runFleetCommand(['--url', url], tty.io);
    expect(tty.out()).toContain('\x1b[33mdegraded');
    expect(tty.out()).toContain('\x1b[32mhealthy');
    const noColour = capture({ isTTY: true, env: { NO_COLOR: '1' } });
    await runFleetCommand(['--url', url], noColour.io);
    expect(noColour.out()).not.toContain('\x1b[');
  });

  it('prints the API data as JSON with --json, with the same exit code', async () => {
    const t = tracker();
    feed(t, { isProdUsSkewed: true });
    const url = await serve(t);
    const { io, out } = capture();
    expect(await runFleetCommand(['--url', `${url}/`, '--json'], io)).toBe(1);
    const data = JSON.parse(out()) as {
      clusters: { cluster: string; state: string }[];
      summary: { total: number };
    };
    expect(data.clusters.map(c => [c.cluster, c.state])).toEqual([
      ['prod-us', 'degraded'],
      ['dev-us', 'unknown'],
      ['prod-eu', 'healthy'],
    ]);
    expect(data.summary.total).toBe(3);
  });

  it('exits 0 when no cluster is down or degraded (unknown and stale do not fail)', async () => {
    const t = tracker();
    feed(t, { isProdUsSkewed: false });
    const url = await serve(t);
    expect(await runFleetCommand(['--url', url], capture().io)).toBe(0);
    clock += 6 * M;
    const stale = capture();
    expect(await runFleetCommand(['--url', url], stale.io)).toBe(0);
    expect(stale.out()).toMatch(/prod-eu\s+stale/);
  });

  it('exits 1 when a cluster is down', async () => {
    const t = tracker();
    feed(t, { isProdUsSkewed: false });
    clock += 20 * M;
    const url = await serve(t);
    const { io, out } = capture();
    expect(await runFleetCommand(['--url', url], io)).toBe(1);
    expect(out()).toMatch(/prod-eu\s+down\s+eu-west-1\s+prod\s+20m10s ago/);
    expect(out()).toContain(
      'prod-eu: no_data: no data for 20m10s (stale after 5m, down after 15m)'
    );
  });

  it('exits 2 with a clear message when the gateway cannot be reached', async () => {
    const url = await listen(express());
    const closing = servers.pop()!;
    await new Promise(resolve => closing.close(resolve));
    const { io, out, err } = capture();
    expect(await runFleetCommand(['--url', url], io)).toBe(2);
    expect(out()).toBe('');
    expect(err()).toBe(
      `fleetgate fleet: cannot reach fleetgate at ${url}/api/v1/fleet: connection refused (ECONNREFUSED); is "fleetgate serve" running there? (--url picks another gateway)\n`
    );
  });

  it('exits 2 when the answer is not the fleet API', async () => {
    const app = express();
    app.get('/api/v1/fleet', (_req, res) => {
      res.status(503).json({
        status: 'error',
        errorType: 'unavailable',
        error: 'shutting down',
      });
    });
    app.get('/other/api/v1/fleet', (_req, res) => {
      res.type('text/html').send('<html>hello</html>');
    });
    const url = await listen(app);
    const failing = capture();
    expect(await runFleetCommand(['--url', url], failing.io)).toBe(2);
    expect(failing.err()).toBe(
      `fleetgate fleet: fleetgate at ${url}/api/v1/fleet answered HTTP 503: shutting down\n`
    );
    const html = capture();
    expect(await runFleetCommand(['--url', `${url}/other`], html.io)).toBe(2);
    expect(html.err()).toContain('not JSON');
  });

  it('exits 2 when the gateway does not answer within --timeout', async () => {
    const app = express();
    app.get('/api/v1/fleet', () => {
      /* never answers */
    });
    const url = await listen(app);
    const { io, err } = capture();
    expect(
      await runFleetCommand(['--url', url, '--timeout', '200ms'], io)
    ).toBe(2);
    expect(err()).toContain('no answer within 0.2s');
  });

  it.each([
    [['--bogus'], 'Unknown option'],
    [['--url', 'ftp://x'], 'cannot use --url'],
    [['--timeout', 'soon'], 'cannot parse --timeout'],
  ])('exits 2 on bad arguments %j', async (args, message) => {
    const { io, err } = capture();
    expect(await runFleetCommand(args, io)).toBe(2);
    expect(err()).toContain(message);
  });

  it('prints its usage with --help', async () => {
    const { io, out } = capture();
    expect(await runFleetCommand(['--help'], io)).toBe(0);
    expect(out()).toContain('usage: fleetgate fleet');
  });
});
