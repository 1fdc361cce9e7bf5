/**
 * The StateStore contract against real Redis: (a) the machine's Redis on
 * 127.0.0.1:6379, under a key prefix unique to this run whose keys are
 * deleted after each test, and (b) a private three-node Redis Cluster.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RedisStateStore,
  StateKeys,
  createStateStore,
} from '../../src/state/index.js';
import {
  describeStateStoreContract,
  seriesHashes,
} from '../contract/state-store.contract.js';
import {
  deleteKeysMatching,
  redisCli,
  startRedisCluster,
  type RedisClusterServers,
} from '../helpers/redis-server.js';
import { describeWithPeer, isTcpReachable } from '../helpers/peer-gate.js';

const MACHINE_REDIS_HOST = '127.0.0.1';
const MACHINE_REDIS_PORT = 6379;
const MACHINE_REDIS_URL = `redis://${MACHINE_REDIS_HOST}:${MACHINE_REDIS_PORT}`;
/** Every key this run writes on the machine's Redis starts with this. */
const RUN_PREFIX = `fleetgate-test-${randomBytes(6).toString('hex')}`;
/** Tests must not run on local fallback because a connection was slow. */
const CONNECT_GRACE_MS = 10_000;
const T0 = Date.UTC(2030, 0, 1);

let testNumber = 0;
function nextPrefix(label: string): string {
  return `${RUN_PREFIX}-${label}-${++testNumber}`;
}

const describeWithMachineRedis = describeWithPeer(
  `the machine's Redis (${MACHINE_REDIS_URL})`,
  await isTcpReachable(MACHINE_REDIS_HOST, MACHINE_REDIS_PORT)
);

describeWithMachineRedis(
  'RedisStateStore on the machine Redis (127.0.0.1:6379)',
  () => {
    let admin: Redis;
    let prefix = '';

    beforeAll(() => {
      admin = new Redis(MACHINE_REDIS_URL);
    });

    afterAll(async () => {
      await deleteKeysMatching(admin, `${RUN_PREFIX}-*`);
      await admin.quit();
    });

    beforeEach(() => {
      prefix = nextPrefix('standalone');
    });

    describeStateStoreContract(
      'contract',
      async () =>
        new RedisStateStore({
          url: MACHINE_REDIS_URL,
          keyPrefix: prefix,
          connectGraceMs: CONNECT_GRACE_MS,
        }),
      async () => {
        await deleteKeysMatching(admin, new StateKeys(prefix).matchPattern());
      }
    );

    it('writes only keys under its prefix, and cleanup removes them all', async () => {
      const store = new RedisStateStore({
        url: MACHINE_REDIS_URL,
        keyPrefix: prefix,
        connectGraceMs: CONNECT_GRACE_MS,
      });
      await store.addActiveSeries(
        [{ cluster: 'prod-eu', metric: 'up', hashes: seriesHashes('p', 3) }],
        T0
      );
      await store.takeTokens('b', 1, 10, 10, T0);
      await store.electReplica('prod-eu', 'a', T0, 30_000);
      await store.publishSnapshot('k', 'r', 'p', 60_000, T0);
      await store.close();
      const pattern = new StateKeys(prefix).matchPattern();
      const [, keys] = await admin.scan('0', 'MATCH', pattern, 'COUNT', 10_000);
      expect(keys.sort()).toEqual(
        [
          `${prefix}:{c:prod-eu}:hll:metric:up:${T0 / 1000}`,
          `${prefix}:{b:b}:tokens`,
          `${prefix}:{c:prod-eu}:ha`,
          `${prefix}:{s:k}:snapshots`,
        ].sort()
      );
      // Every key expires.
      for (const key of keys) expect(await admin.pttl(key)).toBeGreaterThan(0);
      expect(await deleteKeysMatching(admin, pattern)).toBe(4);
      expect(await admin.scan('0', 'MATCH', pattern, 'COUNT', 10_000)).toEqual([
        '0',
        [],
      ]);
    });

    it('is what createStateStore() returns for a redis URL', async () => {
      const store = createStateStore({
        redisUrl: MACHINE_REDIS_URL,
        keyPrefix: prefix,
      });
      try {
        expect(store.kind).toBe('redis');
        expect(store.isShared).toBe(true);
        expect(
          await store.countActiveSeries('none', undefined, 60_000, T0)
        ).toBe(0);
        expect(store.health()).toEqual({ degraded: false });
      } finally {
        await store.close();
      }
    });
  }
);

describe('RedisStateStore on a 3-node Redis Cluster', () => {
  let servers: RedisClusterServers;
  let admin: Cluster;
  let prefix = '';

  beforeAll(async () => {
    servers = await startRedisCluster(3);
    admin = new Cluster(
      servers.seeds.map(seed => {
        const [host, port] = seed.split(':') as [string, string];
        return { host, port: Number(port) };
      })
    );
  });

  afterAll(async () => {
    await admin?.quit();
    await servers?.stop();
  });

  beforeEach(() => {
    prefix = nextPrefix('cluster');
  });

  describeStateStoreContract(
    'contract',
    async () =>
      new RedisStateStore({
        clusterNodes: [...servers.seeds],
        keyPrefix: prefix,
        connectGraceMs: CONNECT_GRACE_MS,
      }),
    async () => {
      await deleteKeysMatching(admin, new StateKeys(prefix).matchPattern());
    }
  );

  it('spreads the sets of different clusters and metrics over the nodes', async () => {
    const store = createStateStore({
      redisClusterNodes: [...servers.seeds],
      keyPrefix: prefix,
    });
    try {
      const adds = [];
      for (let i = 0; i < 30; i++) {
        const hashes = seriesHashes(`spread-${i}`, 5);
        adds.push(
          { cluster: `cluster-${i}`, metric: undefined, hashes },
          { cluster: `cluster-${i}`, metric: `metric_${i}`, hashes },
          { cluster: undefined, metric: `metric_${i}`, hashes }
        );
      }
      await store.addActiveSeries(adds, T0);
      expect(store.health()).toEqual({ degraded: false });
      for (let i = 0; i < 30; i += 7) {
        expect(
          await store.countActiveSeries(
            `cluster-${i}`,
            `metric_${i}`,
            60_000,
            T0
          )
        ).toBe(5);
        expect(
          await store.countActiveSeries(undefined, `metric_${i}`, 60_000, T0)
        ).toBe(5);
      }
      const keysPerNode = await Promise.all(
        servers.nodes.map(
          async node =>
            (await redisCli(node.port, ['--scan', '--pattern', `${prefix}:*`]))
              .split('\n')
              .filter(line => line !== '').length
        )
      );
      expect(keysPerNode.reduce((a, b) => a + b, 0)).toBe(90);
      for (const count of keysPerNode) expect(count).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
