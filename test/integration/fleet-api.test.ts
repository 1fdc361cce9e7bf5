/**
 * The fleet view through a running gateway: a cluster that sends is healthy
 * with its last-seen time and collector, a registered cluster that never sent
 * is unknown, and `fleetgate fleet` reports it for scripts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import {
  resolveGatewayEntry,
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { encodeV1Request } from '../helpers/remote-write-reference.js';

const run = promisify(execFile);
const TOKEN = 'prod-eu-token-0123456789';
let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway(`clusters:
  - {name: prod-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
  - {name: dev-us, region: us-east-1, env: dev, team: web, token: dev-us-token-0123456789}
`);
  const body = snappyCompress(
    encodeV1Request({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'node' },
          ],
          samples: [{ value: 1, timestamp: Date.now() }],
        },
      ],
    })
  );
  const res = await fetch(`${gateway.url}/api/v1/write`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      Authorization: `Bearer ${TOKEN}`,
      'User-Agent': 'Prometheus/2.42.0',
    },
  });
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await gateway.stop();
});

interface FleetCluster {
  cluster: string;
  state: string;
  region: string;
  last_seen: Record<string, string | null>;
}

describe('GET /api/v1/fleet', () => {
  it('lists every registered cluster with its state', async () => {
    const body = (await (
      await fetch(`${gateway.url}/api/v1/fleet`)
    ).json()) as {
      status: string;
      data: { summary: unknown; clusters: FleetCluster[] };
    };
    expect(body.status).toBe('success');
    const byName = new Map(body.data.clusters.map(c => [c.cluster, c]));
    expect(byName.get('prod-eu')).toMatchObject({
      state: 'healthy',
      region: 'eu-west-1',
    });
    expect(byName.get('dev-us')).toMatchObject({ state: 'unknown' });
    expect(
      Date.parse(byName.get('prod-eu')!.last_seen['metrics']!)
    ).toBeGreaterThan(Date.now() - 60_000);
  });

  it('details one cluster, and 404s an unknown one', async () => {
    const detail = (await (
      await fetch(`${gateway.url}/api/v1/fleet/clusters/prod-eu`)
    ).json()) as { data: Record<string, unknown> };
    expect(detail.data['cluster']).toBe('prod-eu');
    expect(detail.data['collector']).toEqual({
      kind: 'prometheus',
      version: '2.42.0',
    });
    const missing = await fetch(`${gateway.url}/api/v1/fleet/clusters/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status: 'error' });
  });
});

describe('fleetgate fleet', () => {
  it('prints JSON and exits 0 while no cluster is down or degraded', async () => {
    const { stdout } = await run(process.execPath, [
      resolveGatewayEntry(),
      'fleet',
      '--url',
      gateway.url,
      '--json',
    ]);
    expect(stdout).toContain('prod-eu');
  });

  it('exits 2 with a clear message when no gateway answers', async () => {
    const result = await run(process.execPath, [
      resolveGatewayEntry(),
      'fleet',
      '--url',
      'http://127.0.0.1:9',
    ]).catch((err: unknown) => err);
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr.length).toBeGreaterThan(0);
  });
});
