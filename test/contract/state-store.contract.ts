/**
 * The one conformance suite of StateStore (STYLE.md rule 23, after undici's
 * cache-store-test-utils.js). Memory runs it in the unit project, Redis
 * (standalone and Cluster) in the integration project.
 *
 * `create()` must return a fresh store on the backend of the current test:
 * two calls within one test are two replicas on the same backend (for a
 * shared store) and the backend must be empty at the start of each test.
 * `cleanup()` runs after each test, once its stores are closed.
 *
 * Every time is an explicit `nowMs` from T0, so nothing here sleeps or
 * needs fake timers. Counts are exact for a store of kind `memory` and
 * within 2% (HyperLogLog) otherwise; small sets are exact for both.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SketchAdd, StateStore } from '../../src/state/index.js';

/** A bucket-aligned instant (2030-01-01T00:00:00Z). */
const T0 = Date.UTC(2030, 0, 1);
const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const WINDOW_MS = 5 * MINUTE_MS;
const HLL_RELATIVE_ERROR = 0.02;

/** `count` deterministic 16-hex-digit series hashes, distinct per `salt`. */
export function seriesHashes(salt: string, count: number, from = 0): string[] {
  const out: string[] = [];
  for (let i = from; i < from + count; i++) {
    out.push(
      createHash('sha256').update(`${salt}:${i}`).digest('hex').slice(0, 16)
    );
  }
  return out;
}

function clusterSet(cluster: string, hashes: string[]): SketchAdd {
  return { cluster, metric: undefined, hashes };
}

export function describeStateStoreContract(
  name: string,
  create: () => Promise<StateStore>,
  cleanup?: () => Promise<void>
): void {
  describe(name, () => {
    const opened: StateStore[] = [];

    async function open(): Promise<StateStore> {
      const store = await create();
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      const stores = opened.splice(0);
      // A shared store that quietly fell back to local state would pass
      // most of this suite for the wrong reason.
      const degraded = stores.filter(store => store.health().degraded);
      await Promise.all(stores.map(store => store.close()));
      await cleanup?.();
      expect(degraded.map(store => store.health())).toEqual([]);
    });

    /** Exact for memory; within 2% for a HyperLogLog. */
    function expectCount(store: StateStore, got: number, want: number): void {
      if (store.kind === 'memory') expect(got).toBe(want);
      else
        expect(Math.abs(got - want)).toBeLessThanOrEqual(
          want * HLL_RELATIVE_ERROR
        );
    }

    it('reports healthy on a reachable backend', async () => {
      const store = await open();
      expect(store.health()).toEqual({ degraded: false });
    });

    describe('addActiveSeries() and countActiveSeries()', () => {
      it('counts distinct series added in different buckets of the window', async () => {
        const store = await open();
        const [a, b, c] = seriesHashes('distinct', 3) as [
          string,
          string,
          string,
        ];
        await store.addActiveSeries([clusterSet('prod-eu', [a, b])], T0);
        await store.addActiveSeries(
          [clusterSet('prod-eu', [b, c])],
          T0 + 90 * SECOND_MS
        );
        expect(
          await store.countActiveSeries(
            'prod-eu',
            undefined,
            WINDOW_MS,
            T0 + 90 * SECOND_MS
          )
        ).toBe(3);
      });

      it('drops buckets that fall out of the window', async () => {
        const store = await open();
        const [old, recent] = seriesHashes('expiry', 2) as [string, string];
        await store.addActiveSeries([clusterSet('prod-eu', [old])], T0);
        await store.addActiveSeries(
          [clusterSet('prod-eu', [recent])],
          T0 + 3 * MINUTE_MS
        );
        const count = (nowMs: number): Promise<number> =>
          store.countActiveSeries('prod-eu', undefined, WINDOW_MS, nowMs);
        expect(await count(T0 + 4 * MINUTE_MS)).toBe(2);
        // The window (T0+1m, T0+6m] no longer reaches T0's bucket.
        expect(await count(T0 + 6 * MINUTE_MS)).toBe(1);
        expect(await count(T0 + 9 * MINUTE_MS)).toBe(0);
      });

      it('keeps counting a series re-added in a later bucket once', async () => {
        const store = await open();
        const hashes = seriesHashes('readd', 2);
        await store.addActiveSeries([clusterSet('prod-eu', hashes)], T0);
        await store.addActiveSeries(
          [clusterSet('prod-eu', hashes)],
          T0 + 4 * MINUTE_MS
        );
        expect(
          await store.countActiveSeries(
            'prod-eu',
            undefined,
            WINDOW_MS,
            T0 + 4 * MINUTE_MS
          )
        ).toBe(2);
        expect(
          await store.countActiveSeries(
            'prod-eu',
            undefined,
            WINDOW_MS,
            T0 + 8 * MINUTE_MS
          )
        ).toBe(2);
      });

      it('keeps the cluster, cluster-metric and fleet-metric sets apart', async () => {
        const store = await open();
        const hashes = seriesHashes('sets', 6);
        await store.addActiveSeries(
          [
            {
              cluster: 'prod-eu',
              metric: undefined,
              hashes: hashes.slice(0, 3),
            },
            { cluster: 'prod-eu', metric: 'up', hashes: hashes.slice(0, 2) },
            { cluster: undefined, metric: 'up', hashes: hashes.slice(0, 5) },
            { cluster: 'prod-us', metric: 'up', hashes: hashes.slice(5, 6) },
          ],
          T0
        );
        const count = (
          cluster: string | undefined,
          metric: string | undefined
        ): Promise<number> =>
          store.countActiveSeries(cluster, metric, WINDOW_MS, T0);
        expect(await count('prod-eu', undefined)).toBe(3);
        expect(await count('prod-eu', 'up')).toBe(2);
        expect(await count(undefined, 'up')).toBe(5);
        expect(await count('prod-us', 'up')).toBe(1);
        expect(await count('prod-us', undefined)).toBe(0);
        expect(await count('prod-eu', 'down')).toBe(0);
      });

      it('counts zero for a set never added to, and accepts empty adds', async () => {
        const store = await open();
        await store.addActiveSeries([], T0);
        await store.addActiveSeries([clusterSet('empty', [])], T0);
        expect(
          await store.countActiveSeries('empty', undefined, WINDOW_MS, T0)
        ).toBe(0);
      });

      it('handles names with hash-tag and key separator characters', async () => {
        const store = await open();
        const hashes = seriesHashes('names', 3);
        await store.addActiveSeries(
          [
            { cluster: 'a}{b', metric: 'x:y', hashes: hashes.slice(0, 1) },
            { cluster: 'a', metric: 'x:y', hashes: hashes.slice(0, 2) },
            { cluster: 'a}', metric: undefined, hashes },
          ],
          T0
        );
        expect(
          await store.countActiveSeries('a}{b', 'x:y', WINDOW_MS, T0)
        ).toBe(1);
        expect(await store.countActiveSeries('a', 'x:y', WINDOW_MS, T0)).toBe(
          2
        );
        expect(
          await store.countActiveSeries('a}', undefined, WINDOW_MS, T0)
        ).toBe(3);
        expect(
          await store.countActiveSeries('a', undefined, WINDOW_MS, T0)
        ).toBe(0);
      });

      it('counts 10k series over several buckets (exact, or within 2% for HLL)', async () => {
        const store = await open();
        const total = 10_000;
        const perBatch = 2000;
        for (let i = 0; i < total; i += perBatch) {
          // Each batch in its own bucket, half of it re-adding the last batch.
          const hashes = seriesHashes('10k', perBatch, i).concat(
            i === 0 ? [] : seriesHashes('10k', perBatch / 2, i - perBatch / 2)
          );
          await store.addActiveSeries(
            [
              clusterSet('big', hashes),
              { cluster: undefined, metric: 'big_metric', hashes },
            ],
            T0 + (i / perBatch) * MINUTE_MS
          );
        }
        const nowMs = T0 + 4 * MINUTE_MS;
        expectCount(
          store,
          await store.countActiveSeries(
            'big',
            undefined,
            10 * MINUTE_MS,
            nowMs
          ),
          total
        );
        expectCount(
          store,
          await store.countActiveSeries(
            undefined,
            'big_metric',
            10 * MINUTE_MS,
            nowMs
          ),
          total
        );
        // Window (T0+2m, T0+4m] reaches the buckets of T0+2m..T0+4m: the
        // last three batches and their re-adds, series 3000..9999.
        expectCount(
          store,
          await store.countActiveSeries('big', undefined, 2 * MINUTE_MS, nowMs),
          7000
        );
      });

      it('counts series added through two instances together when shared', async () => {
        const first = await open();
        const second = await open();
        await first.addActiveSeries(
          [clusterSet('prod-eu', seriesHashes('two', 3))],
          T0
        );
        await second.addActiveSeries(
          [clusterSet('prod-eu', seriesHashes('two', 3, 2))],
          T0
        );
        const want = first.isShared ? 5 : 3;
        expect(
          await first.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0)
        ).toBe(want);
        expect(
          await second.countActiveSeries('prod-eu', undefined, WINDOW_MS, T0)
        ).toBe(want);
      });

      it('rejects a window that is not a positive number', async () => {
        const store = await open();
        await expect(
          store.countActiveSeries('prod-eu', undefined, 0, T0)
        ).rejects.toThrow(RangeError);
        await expect(
          store.countActiveSeries('prod-eu', undefined, Number.NaN, T0)
        ).rejects.toThrow(RangeError);
      });
    });

    describe('takeTokens()', () => {
      const RATE = 10;
      const BURST = 5;

      it('starts full, allows takes up to burst, then refuses with retryAfterMs', async () => {
        const store = await open();
        expect(
          await store.takeTokens('ingest:prod-eu', 3, RATE, BURST, T0)
        ).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
        expect(
          await store.takeTokens('ingest:prod-eu', 2, RATE, BURST, T0)
        ).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
        // One token at 10/s is 100 ms away.
        expect(
          await store.takeTokens('ingest:prod-eu', 1, RATE, BURST, T0)
        ).toEqual({ allowed: false, remaining: 0, retryAfterMs: 100 });
      });

      it('refills at the rate and refuses without taking', async () => {
        const store = await open();
        await store.takeTokens('b', BURST, RATE, BURST, T0);
        // 250 ms later: 2.5 tokens.
        expect(await store.takeTokens('b', 2, RATE, BURST, T0 + 250)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
        expect(await store.takeTokens('b', 1, RATE, BURST, T0 + 250)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 50,
        });
        // The refusal took nothing: 0.5 + 0.5 tokens at T0+300.
        expect(await store.takeTokens('b', 1, RATE, BURST, T0 + 300)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
      });

      it('never refills past burst', async () => {
        const store = await open();
        await store.takeTokens('b', 1, RATE, BURST, T0);
        expect(
          await store.takeTokens('b', BURST, RATE, BURST, T0 + 3_600_000)
        ).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
        expect(
          (await store.takeTokens('b', 1, RATE, BURST, T0 + 3_600_000)).allowed
        ).toBe(false);
      });

      it('allows a take larger than burst on a full bucket, then makes later takes wait out the debt', async () => {
        const store = await open();
        expect(await store.takeTokens('b', 8, RATE, BURST, T0)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
        // 100 ms later the bucket holds -3 + 1 = -2: one token is 300 ms away.
        expect(await store.takeTokens('b', 1, RATE, BURST, T0 + 100)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 300,
        });
        expect(
          (await store.takeTokens('b', 1, RATE, BURST, T0 + 400)).allowed
        ).toBe(true);
      });

      it('refuses a take larger than burst until the bucket is full', async () => {
        const store = await open();
        await store.takeTokens('b', 1, RATE, BURST, T0);
        expect(await store.takeTokens('b', 8, RATE, BURST, T0)).toEqual({
          allowed: false,
          remaining: 0,
          retryAfterMs: 100,
        });
        expect(
          (await store.takeTokens('b', 8, RATE, BURST, T0 + 100)).allowed
        ).toBe(true);
      });

      it('keeps buckets apart', async () => {
        const store = await open();
        await store.takeTokens('ingest:prod-eu', BURST, RATE, BURST, T0);
        expect(
          (await store.takeTokens('ingest:prod-us', BURST, RATE, BURST, T0))
            .allowed
        ).toBe(true);
      });

      it('shares one bucket between two instances when shared', async () => {
        const first = await open();
        const second = await open();
        await first.takeTokens('b', BURST, RATE, BURST, T0);
        expect((await second.takeTokens('b', 1, RATE, BURST, T0)).allowed).toBe(
          !first.isShared
        );
      });

      it('rejects invalid arguments', async () => {
        const store = await open();
        await expect(
          store.takeTokens('b', -1, RATE, BURST, T0)
        ).rejects.toThrow(RangeError);
        await expect(store.takeTokens('b', 1, 0, BURST, T0)).rejects.toThrow(
          RangeError
        );
        await expect(store.takeTokens('b', 1, RATE, 0, T0)).rejects.toThrow(
          RangeError
        );
        await expect(
          store.takeTokens('b', 1, RATE, BURST, Number.NaN)
        ).rejects.toThrow(RangeError);
      });
    });

    describe('electReplica()', () => {
      const TIMEOUT_MS = 30_000;

      it('elects the first replica to ask and refuses the others', async () => {
        const store = await open();
        expect(
          await store.electReplica('prod-eu', 'a', T0, TIMEOUT_MS)
        ).toEqual({ leader: 'a', isLeader: true });
        expect(
          await store.electReplica('prod-eu', 'b', T0 + 1, TIMEOUT_MS)
        ).toEqual({ leader: 'a', isLeader: false });
        expect(
          await store.electReplica('prod-eu', 'a', T0 + 2, TIMEOUT_MS)
        ).toEqual({ leader: 'a', isLeader: true });
      });

      it("renews the leader's lease each time the leader asks", async () => {
        const store = await open();
        await store.electReplica('prod-eu', 'a', T0, TIMEOUT_MS);
        await store.electReplica('prod-eu', 'a', T0 + 20_000, TIMEOUT_MS);
        expect(
          await store.electReplica('prod-eu', 'b', T0 + 40_000, TIMEOUT_MS)
        ).toEqual({ leader: 'a', isLeader: false });
      });

      it('fails over once the leader has been silent for longer than the timeout', async () => {
        const store = await open();
        await store.electReplica('prod-eu', 'a', T0, TIMEOUT_MS);
        expect(
          (
            await store.electReplica(
              'prod-eu',
              'b',
              T0 + TIMEOUT_MS,
              TIMEOUT_MS
            )
          ).leader
        ).toBe('a');
        expect(
          await store.electReplica(
            'prod-eu',
            'b',
            T0 + TIMEOUT_MS + 1,
            TIMEOUT_MS
          )
        ).toEqual({ leader: 'b', isLeader: true });
        expect(
          await store.electReplica(
            'prod-eu',
            'a',
            T0 + TIMEOUT_MS + 2,
            TIMEOUT_MS
          )
        ).toEqual({ leader: 'b', isLeader: false });
      });

      it('keeps clusters apart', async () => {
        const store = await open();
        await store.electReplica('prod-eu', 'a', T0, TIMEOUT_MS);
        expect(
          await store.electReplica('prod-us', 'b', T0, TIMEOUT_MS)
        ).toEqual({ leader: 'b', isLeader: true });
      });

      it('agrees across two instances on a shared backend', async () => {
        const first = await open();
        const second = await open();
        expect(
          (await first.electReplica('prod-eu', 'a', T0, TIMEOUT_MS)).leader
        ).toBe('a');
        if (!first.isShared) {
          // Not shared: each instance is the whole truth of its own replica.
          expect(
            (await second.electReplica('prod-eu', 'b', T0, TIMEOUT_MS)).leader
          ).toBe('b');
          return;
        }
        expect(
          await second.electReplica('prod-eu', 'b', T0 + 1, TIMEOUT_MS)
        ).toEqual({ leader: 'a', isLeader: false });
        await first.electReplica('prod-eu', 'a', T0 + 10_000, TIMEOUT_MS);
        expect(
          (await second.electReplica('prod-eu', 'b', T0 + 35_000, TIMEOUT_MS))
            .leader
        ).toBe('a');
        expect(
          (await second.electReplica('prod-eu', 'b', T0 + 40_001, TIMEOUT_MS))
            .leader
        ).toBe('b');
        expect(
          await first.electReplica('prod-eu', 'a', T0 + 40_002, TIMEOUT_MS)
        ).toEqual({ leader: 'b', isLeader: false });
      });
    });

    describe('publishSnapshot() and readSnapshots()', () => {
      it("returns every replica's live snapshot, sorted by replica", async () => {
        const store = await open();
        await store.publishSnapshot(
          'cardinality',
          'replica-2',
          '{"n":2}',
          60_000,
          T0
        );
        await store.publishSnapshot(
          'cardinality',
          'replica-1',
          '{"n":1}',
          60_000,
          T0 + 5
        );
        expect(await store.readSnapshots('cardinality', T0 + 10)).toEqual([
          { replicaId: 'replica-1', payload: '{"n":1}', publishedAtMs: T0 + 5 },
          { replicaId: 'replica-2', payload: '{"n":2}', publishedAtMs: T0 },
        ]);
      });

      it("replaces a replica's previous snapshot", async () => {
        const store = await open();
        await store.publishSnapshot('cardinality', 'r', 'old', 60_000, T0);
        await store.publishSnapshot(
          'cardinality',
          'r',
          'new',
          60_000,
          T0 + 1000
        );
        expect(await store.readSnapshots('cardinality', T0 + 1000)).toEqual([
          { replicaId: 'r', payload: 'new', publishedAtMs: T0 + 1000 },
        ]);
      });

      it('drops a snapshot once its TTL has passed', async () => {
        const store = await open();
        await store.publishSnapshot('cardinality', 'short', 's', 10_000, T0);
        await store.publishSnapshot('cardinality', 'long', 'l', 60_000, T0);
        const ids = async (nowMs: number): Promise<string[]> =>
          (await store.readSnapshots('cardinality', nowMs)).map(
            s => s.replicaId
          );
        expect(await ids(T0 + 9_999)).toEqual(['long', 'short']);
        expect(await ids(T0 + 10_000)).toEqual(['long']);
        expect(await ids(T0 + 60_000)).toEqual([]);
      });

      it('keeps kinds apart and reads an unknown kind as empty', async () => {
        const store = await open();
        await store.publishSnapshot('cardinality', 'r', 'c', 60_000, T0);
        await store.publishSnapshot('fleet', 'r', 'f', 60_000, T0);
        expect(
          (await store.readSnapshots('fleet', T0)).map(s => s.payload)
        ).toEqual(['f']);
        expect(await store.readSnapshots('nothing', T0)).toEqual([]);
      });

      it('lets two instances read each other when shared', async () => {
        const first = await open();
        const second = await open();
        await first.publishSnapshot(
          'cardinality',
          'replica-1',
          'one',
          60_000,
          T0
        );
        await second.publishSnapshot(
          'cardinality',
          'replica-2',
          'two',
          60_000,
          T0
        );
        const want = first.isShared
          ? ['replica-1', 'replica-2']
          : ['replica-1'];
        expect(
          (await first.readSnapshots('cardinality', T0)).map(s => s.replicaId)
        ).toEqual(want);
        if (first.isShared) {
          expect(
            (await second.readSnapshots('cardinality', T0)).map(
              s => s.replicaId
            )
          ).toEqual(want);
        }
      });

      it('rejects a TTL that is not positive', async () => {
        const store = await open();
        await expect(
          store.publishSnapshot('k', 'r', 'p', 0, T0)
        ).rejects.toThrow(RangeError);
      });
    });

    describe('close()', () => {
      it('can be called twice', async () => {
        const store = await open();
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
