/**
 * Two gateway replicas on one Redis answer the fleet API alike: a cluster
 * that sends only through replica A is healthy, with its last-seen time,
 * on replica B too (per-replica snapshots merged through Redis).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { waitFor } from '../helpers/peers.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { encodeV1Request } from '../helpers/remote-write-reference.js';

const TOKEN = 'prod-eu-token-0123456789';
let redis: RedisServer;
let a: GatewayProcess;
let b: GatewayProcess;

interface FleetCluster {
  cluster: string;
  state: string;
  last_seen: Record<string, string | null>;
}

async function fleetOf(
  gateway: GatewayProcess
): Promise<Map<string, FleetCluster>> {
  const body = (await (await fetch(`${gateway.url}/api/v1/fleet`)).json()) as {
    data: { clusters: FleetCluster[] };
  };
  return new Map(body.data.clusters.map(c => [c.cluster, c]));
}

beforeAll(async () => {
  redis = await startRedisServer();
  const config = `
state: {redis: "${redis.url}", key_prefix: fleet-replicas-test}
clusters:
  - {name: prod-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
  - {name: dev-us, region: us-east-1, env: dev, team: web, token: dev-us-token-0123456789}
`;
  a = await startGateway(config, {
    env: { FLEETGATE_REPLICA_ID: 'replica-a' },
  });
  b = await startGateway(config, {
    env: { FLEETGATE_REPLICA_ID: 'replica-b' },
  });
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

it('shows a cluster seen only by replica A as healthy on replica B too', async () => {
  const body = snappyCompress(
    encodeV1Request({
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'up' }],
          samples: [{ value: 1, timestamp: Date.now() }],
        },
      ],
    })
  );
  const res = await fetch(`${a.url}/api/v1/write`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      Authorization: `Bearer ${TOKEN}`,
    },
  });
  expect(res.status).toBe(204);

  const onB = await waitFor(
    async () => {
      const cluster = (await fleetOf(b)).get('prod-eu');
      return cluster?.state === 'healthy' && cluster;
    },
    30_000,
    { description: 'prod-eu healthy on replica B' }
  );
  const onA = (await fleetOf(a)).get('prod-eu')!;
  expect(onB.state).toBe(onA.state);
  expect(onB.last_seen['metrics']).toBe(onA.last_seen['metrics']);
  expect((await fleetOf(b)).get('dev-us')?.state).toBe('unknown');
});
