/**
 * The EventLog contract against real Redis: the machine's Redis on
 * 127.0.0.1:6379 under a key prefix unique to each test (its keys deleted
 * afterwards), and a private three-node Redis Cluster (hash tags keep each
 * script in one slot). Then Redis-only behaviour: the key scheme and TTLs,
 * the approximate stream cap, a shared connection, and degraded mode
 * against a private redis-server that we kill and restart.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cluster, Redis } from 'ioredis';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';
import type { StoreHealth } from '../../src/state/index.js';
import { RedisEventLog } from '../../src/state/event-log-redis.js';
import {
  describeEventLogContract,
  sampleEvent,
} from '../contract/event-log.contract.js';
import {
  deleteKeysMatching,
  startRedisCluster,
  startRedisServer,
  type RedisClusterServers,
  type RedisServer,
} from '../helpers/redis-server.js';
import { describeWithPeer, isTcpReachable } from '../helpers/peer-gate.js';

const MACHINE_REDIS_HOST = '127.0.0.1';
const MACHINE_REDIS_PORT = 6379;
const MACHINE_REDIS_URL = `redis://${MACHINE_REDIS_HOST}:${MACHINE_REDIS_PORT}`;
/** Every key this run writes on the machine's Redis starts with this. */
const RUN_PREFIX = `fleetgate-test-events-${randomBytes(6).toString('hex')}`;
/** Tests must not run on local fallback because a connection was slow. */
const CONNECT_GRACE_MS = 10_000;
const T0 = Date.UTC(2030, 0, 1);
const ALL = { clusters: ['prod', 'dev'], limit: 1000 };

let testNumber = 0;
function nextPrefix(label: string): string {
  return `${RUN_PREFIX}-${label}-${++testNumber}`;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** Runs `call`, expecting it to resolve within a second. */
async function quickly<T>(call: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await call();
  expect(performance.now() - start).toBeLessThan(1000);
  return value;
}

const describeWithMachineRedis = describeWithPeer(
  `the machine's Redis (${MACHINE_REDIS_URL})`,
  await isTcpReachable(MACHINE_REDIS_HOST, MACHINE_REDIS_PORT)
);

describeWithMachineRedis(
  'RedisEventLog on the machine Redis (127.0.0.1:6379)',
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

    describeEventLogContract(
      'contract',
      async options =>
        new RedisEventLog({
          url: MACHINE_REDIS_URL,
          keyPrefix: prefix,
          connectGraceMs: CONNECT_GRACE_MS,
          ...options,
        }),
      async () => {
        await deleteKeysMatching(admin, `${prefix}:*`);
      }
    );

    it('writes a stream and TTL-bound dedupe keys under its prefix, tagged per cluster', async () => {
      const log = new RedisEventLog({
        url: MACHINE_REDIS_URL,
        keyPrefix: prefix,
        connectGraceMs: CONNECT_GRACE_MS,
        dedupeTtlMs: 60_000,
        streamTtlMs: 120_000,
      });
      try {
        await log.append(
          [
            sampleEvent({ uid: 'a:b{c}', n: 2 }),
            sampleEvent({ uid: 'x', cluster: 'dev', version: 'rv:7' }),
          ],
          T0
        );
      } finally {
        await log.close();
      }
      const keys = await scanAll(admin, `${prefix}:*`);
      expect(keys.sort()).toEqual(
        [
          `${prefix}:{c:dev}:event:x:rv:7`,
          `${prefix}:{c:dev}:events`,
          `${prefix}:{c:prod}:event:a%3Ab%7Bc%7D:count:2`,
          `${prefix}:{c:prod}:events`,
        ].sort()
      );
      const dedupeTtl = await admin.pttl(`${prefix}:{c:dev}:event:x:rv:7`);
      expect(dedupeTtl).toBeGreaterThan(50_000);
      expect(dedupeTtl).toBeLessThanOrEqual(60_000);
      const streamTtl = await admin.pttl(`${prefix}:{c:dev}:events`);
      expect(streamTtl).toBeGreaterThan(110_000);
      expect(await admin.xlen(`${prefix}:{c:prod}:events`)).toBe(1);
    });

    it('trims the stream near its cap, and reads exactly the newest maxEventsPerCluster', async () => {
      const log = new RedisEventLog({
        url: MACHINE_REDIS_URL,
        keyPrefix: prefix,
        connectGraceMs: CONNECT_GRACE_MS,
        maxEventsPerCluster: 100,
      });
      try {
        const events = [];
        for (let i = 1; i <= 600; i++)
          events.push(sampleEvent({ uid: `u${i}`, n: i }));
        expect((await log.append(events, T0)).appended).toHaveLength(600);
        // MAXLEN ~ trims whole stream nodes (100 entries by default).
        const length = await admin.xlen(`${prefix}:{c:prod}:events`);
        expect(length).toBeGreaterThanOrEqual(100);
        expect(length).toBeLessThanOrEqual(300);
        const got = await log.read({ ...ALL, limit: 1000 });
        expect(got).toHaveLength(100);
        expect(got[0]?.uid).toBe('u600');
        expect(got[99]?.uid).toBe('u501');
      } finally {
        await log.close();
      }
    });

    it('works on a shared connection, which close() leaves open', async () => {
      const client = new Redis(MACHINE_REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      });
      try {
        await new Promise(resolve => client.once('ready', resolve));
        const a = new RedisEventLog({ client, keyPrefix: prefix });
        const b = new RedisEventLog({ client, keyPrefix: prefix });
        await a.append([sampleEvent()], T0);
        expect(await b.append([sampleEvent()], T0)).toEqual({
          appended: [],
          duplicates: 1,
        });
        await a.close();
        await b.close();
        expect(client.status).toBe('ready');
        expect(await client.ping()).toBe('PONG');
      } finally {
        client.disconnect();
      }
    });
  }
);

describe('RedisEventLog on a 3-node Redis Cluster', () => {
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

  describeEventLogContract(
    'contract',
    async options =>
      new RedisEventLog({
        clusterNodes: [...servers.seeds],
        keyPrefix: prefix,
        connectGraceMs: CONNECT_GRACE_MS,
        ...options,
      }),
    async () => {
      await deleteKeysMatching(admin, `${prefix}:*`);
    }
  );
});

describe('RedisEventLog when Redis goes away', () => {
  let server: RedisServer;
  const logs: RedisEventLog[] = [];

  function open(
    url: string,
    onHealthChange?: (health: StoreHealth) => void
  ): RedisEventLog {
    const log = new RedisEventLog({
      url,
      keyPrefix: 'fleetgate-event-faults',
      connectGraceMs: 5000,
      ...(onHealthChange === undefined ? {} : { onHealthChange }),
    });
    logs.push(log);
    return log;
  }

  beforeEach(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(logs.splice(0).map(log => log.close()));
    await server.stop();
  });

  it('answers from local memory while Redis is down, then replays into Redis', async () => {
    const changes: StoreHealth[] = [];
    const log = open(server.url, health => changes.push(health));
    const before = sampleEvent({ uid: 'before', n: 1 });
    const during = sampleEvent({ uid: 'during', n: 2 });
    await log.append([before], T0);
    expect(log.health()).toEqual({ degraded: false });

    const port = server.port;
    await server.stop('SIGKILL');

    expect(await quickly(() => log.append([during], T0 + 1))).toEqual({
      appended: [during],
      duplicates: 0,
    });
    // Deduplicated locally too.
    expect(await quickly(() => log.append([during], T0 + 2))).toEqual({
      appended: [],
      duplicates: 1,
    });
    // The local mirror still holds what was appended before the outage.
    expect(await quickly(() => log.read(ALL))).toEqual([during, before]);
    expect(log.health().degraded).toBe(true);
    expect(log.health().reason).toMatch(/^redis: /);
    // Told once per change of `degraded` (the reason may be refined since).
    expect(changes.map(h => h.degraded)).toEqual([true]);

    server = await startRedisServer({ port });
    await waitFor(() => !log.health().degraded, 15_000);
    expect(changes.map(h => h.degraded)).toEqual([true, false]);

    // Another replica sees the outage's event, replayed.
    const other = open(server.url);
    expect(await other.read(ALL)).toEqual([during]);
    expect(await other.append([during], T0 + 3)).toEqual({
      appended: [],
      duplicates: 1,
    });
  });

  it('never throws when Redis was never there', async () => {
    const port = server.port;
    await server.stop();
    const log = new RedisEventLog({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'fleetgate-event-faults',
      connectGraceMs: 200,
    });
    logs.push(log);
    const event = sampleEvent();
    expect((await log.append([event], T0)).appended).toEqual([event]);
    expect(await log.read(ALL)).toEqual([event]);
    expect(log.health().degraded).toBe(true);
    server = await startRedisServer({ port });
  });
});

async function scanAll(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(
      cursor,
      'MATCH',
      pattern,
      'COUNT',
      1000
    );
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
