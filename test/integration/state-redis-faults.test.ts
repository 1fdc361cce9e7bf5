/**
 * Degraded mode of the Redis store against a private redis-server that we
 * kill, freeze and restart: calls keep answering from local state within
 * about a second and never throw, health says why, and replicas converge
 * once Redis is back.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RedisStateStore,
  type StateStore,
  type StoreHealth,
} from '../../src/state/index.js';
import { seriesHashes } from '../contract/state-store.contract.js';
import { getFreePort } from '../helpers/free-port.js';
import {
  redisCli,
  startRedisServer,
  type RedisServer,
} from '../helpers/redis-server.js';

const T0 = Date.UTC(2030, 0, 1);
const WINDOW_MS = 10 * 60_000;
const PREFIX = 'fleetgate-faults';
/** What "answers within about a second" means here. */
const CALL_BUDGET_MS = 1000;
const RECOVERY_TIMEOUT_MS = 15_000;

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** Runs `call`, expecting it to resolve within CALL_BUDGET_MS. */
async function quickly<T>(call: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await call();
  expect(performance.now() - start).toBeLessThan(CALL_BUDGET_MS);
  return value;
}

/** Every StateStore method once, at `nowMs`; none may throw or be slow. */
async function exerciseAll(store: StateStore, nowMs: number): Promise<void> {
  await quickly(() =>
    store.addActiveSeries(
      [{ cluster: 'other', metric: undefined, hashes: seriesHashes('x', 2) }],
      nowMs
    )
  );
  await quickly(() =>
    store.countActiveSeries('other', undefined, WINDOW_MS, nowMs)
  );
  await quickly(() => store.takeTokens('ingest:prod-eu', 1, 10, 10, nowMs));
  await quickly(() =>
    store.electReplica('prod-eu', 'replica-a', nowMs, 30_000)
  );
  await quickly(() => store.readSnapshots('cardinality', nowMs));
}

describe('RedisStateStore when Redis goes away', () => {
  let server: RedisServer;
  const stores: StateStore[] = [];

  function open(
    url: string,
    onHealthChange?: (health: StoreHealth) => void
  ): RedisStateStore {
    const store = new RedisStateStore({
      url,
      keyPrefix: PREFIX,
      connectGraceMs: 5000,
      ...(onHealthChange === undefined ? {} : { onHealthChange }),
    });
    stores.push(store);
    return store;
  }

  beforeEach(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map(store => store.close()));
    if (server.isRunning()) process.kill(server.pid, 'SIGCONT');
    await server.stop();
  });

  it('answers from local state while Redis is down, then converges when it is back', async () => {
    const changes: StoreHealth[] = [];
    const store = open(server.url, health => changes.push(health));
    const before = seriesHashes('before', 20);
    const during = seriesHashes('during', 30);

    await store.addActiveSeries(
      [{ cluster: 'prod-eu', metric: undefined, hashes: before }],
      T0
    );
    expect(
      await store.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0)
    ).toBe(20);
    expect(
      await store.electReplica('prod-eu', 'replica-a', T0, 120_000)
    ).toEqual({ leader: 'replica-a', isLeader: true });
    expect(store.health()).toEqual({ degraded: false });

    await server.stop('SIGKILL');

    await quickly(() =>
      store.addActiveSeries(
        [{ cluster: 'prod-eu', metric: undefined, hashes: during }],
        T0 + 60_000
      )
    );
    // The larger of the last shared count (20) and the local one (30).
    expect(
      await quickly(() =>
        store.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0 + 60_000)
      )
    ).toBe(30);
    // The lease Redis granted stays with replica-a.
    expect(
      await quickly(() =>
        store.electReplica('prod-eu', 'replica-b', T0 + 61_000, 120_000)
      )
    ).toEqual({ leader: 'replica-a', isLeader: false });
    expect(
      (
        await quickly(() =>
          store.takeTokens('ingest:prod-eu', 1, 10, 10, T0 + 61_000)
        )
      ).allowed
    ).toBe(true);
    await quickly(() =>
      store.publishSnapshot(
        'cardinality',
        'replica-1',
        'during-outage',
        600_000,
        T0 + 61_000
      )
    );
    expect(
      await quickly(() => store.readSnapshots('cardinality', T0 + 61_000))
    ).toEqual([
      {
        replicaId: 'replica-1',
        payload: 'during-outage',
        publishedAtMs: T0 + 61_000,
      },
    ]);
    await exerciseAll(store, T0 + 62_000);

    expect(store.health()).toEqual({
      degraded: true,
      reason: expect.stringMatching(/^redis: /) as unknown,
    });
    expect(changes).toEqual([
      {
        degraded: true,
        reason: expect.stringMatching(/^redis: /) as unknown,
      },
    ]);

    // Same port, empty data: what the replicas share now is only what the
    // store replays.
    server = await startRedisServer({ port: server.port });
    await waitFor(() => !store.health().degraded, RECOVERY_TIMEOUT_MS);
    expect(changes.map(change => change.degraded)).toEqual([true, false]);

    const peer = open(server.url);
    expect(
      await peer.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0 + 62_000)
    ).toBe(30);
    expect(await peer.readSnapshots('cardinality', T0 + 62_000)).toEqual([
      {
        replicaId: 'replica-1',
        payload: 'during-outage',
        publishedAtMs: T0 + 61_000,
      },
    ]);
    // Scripts were flushed with the restart: EVALSHA falls back to EVAL.
    expect(
      await peer.electReplica('prod-eu', 'replica-b', T0 + 62_000, 30_000)
    ).toEqual({ leader: 'replica-b', isLeader: true });
    expect(peer.health()).toEqual({ degraded: false });
    expect(store.health()).toEqual({ degraded: false });
  });

  it('answers from local state within a second while Redis hangs, and recovers when it resumes', async () => {
    const changes: StoreHealth[] = [];
    const store = open(server.url, health => changes.push(health));
    await store.addActiveSeries(
      [{ cluster: 'prod-eu', metric: undefined, hashes: seriesHashes('a', 5) }],
      T0
    );

    process.kill(server.pid, 'SIGSTOP');
    try {
      await quickly(() =>
        store.addActiveSeries(
          [
            {
              cluster: 'prod-eu',
              metric: undefined,
              hashes: seriesHashes('b', 7),
            },
          ],
          T0 + 1000
        )
      );
      expect(store.health()).toEqual({
        degraded: true,
        reason: expect.stringMatching(/^redis: /) as unknown,
      });
      await exerciseAll(store, T0 + 2000);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }

    // The connection stayed up: recovery comes from a probe call.
    await waitFor(() => {
      void store.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0 + 3000);
      return !store.health().degraded;
    }, RECOVERY_TIMEOUT_MS);
    expect(changes.map(change => change.degraded)).toEqual([true, false]);
    const peer = open(server.url);
    expect(
      await peer.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0 + 3000)
    ).toBe(12);
  });

  it('answers locally when Redis is not there at start, and replays once it appears', async () => {
    const port = await getFreePort();
    const changes: StoreHealth[] = [];
    const store = new RedisStateStore({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: PREFIX,
      connectGraceMs: 200,
      onHealthChange: health => changes.push(health),
    });
    stores.push(store);

    await quickly(() =>
      store.addActiveSeries(
        [{ cluster: undefined, metric: 'up', hashes: seriesHashes('c', 4) }],
        T0
      )
    );
    expect(
      await quickly(() =>
        store.countActiveSeries(undefined, 'up', WINDOW_MS, T0)
      )
    ).toBe(4);
    expect(store.health()).toEqual({
      degraded: true,
      reason: expect.stringContaining('ECONNREFUSED') as unknown,
    });

    await server.stop();
    server = await startRedisServer({ port });
    await waitFor(() => !store.health().degraded, RECOVERY_TIMEOUT_MS);
    expect(changes.map(change => change.degraded)).toEqual([true, false]);
    expect(
      await open(server.url).countActiveSeries(undefined, 'up', WINDOW_MS, T0)
    ).toBe(4);
  });

  it('runs a script again with EVAL after SCRIPT FLUSH', async () => {
    const store = open(server.url);
    expect((await store.takeTokens('b', 1, 10, 3, T0)).remaining).toBe(2);
    await redisCli(server.port, ['script', 'flush']);
    expect((await store.takeTokens('b', 1, 10, 3, T0)).remaining).toBe(1);
    expect(store.health()).toEqual({ degraded: false });
  });

  it('closes promptly while Redis is down', async () => {
    const store = open(server.url);
    await store.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0);
    await server.stop('SIGKILL');
    await quickly(() => store.close());
  });
});
