import { describe, expect, it } from 'vitest';
import {
  ACTIVE_SERIES_BUCKET_MS,
  DEFAULT_ACTIVE_SERIES_RETENTION_MS,
  MemoryStateStore,
} from '../../../src/state/index.js';
import {
  describeStateStoreContract,
  seriesHashes,
} from '../../contract/state-store.contract.js';

const T0 = Date.UTC(2030, 0, 1);
const MINUTE_MS = 60_000;

describeStateStoreContract(
  'MemoryStateStore',
  async () => new MemoryStateStore()
);

describe('MemoryStateStore', () => {
  it('is the non-shared memory kind and always healthy', () => {
    const store = new MemoryStateStore();
    expect(store.kind).toBe('memory');
    expect(store.isShared).toBe(false);
    expect(store.health()).toEqual({ degraded: false });
  });

  describe('addActiveSeries()', () => {
    it('stops recording new series at maxSeries and counts the refusals', async () => {
      const store = new MemoryStateStore({ maxSeries: 3 });
      const hashes = seriesHashes('bound', 5);
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes }],
        T0
      );
      expect(store.seriesHeld).toBe(3);
      expect(store.seriesDropped).toBe(2);
      // Known series still move to the newer bucket.
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes: hashes.slice(0, 3) }],
        T0 + MINUTE_MS
      );
      expect(
        await store.countActiveSeries('c', undefined, MINUTE_MS, T0 + MINUTE_MS)
      ).toBe(3);
      expect(store.seriesDropped).toBe(2);
    });

    it('forgets buckets older than the default retention before any count', async () => {
      const store = new MemoryStateStore();
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes: seriesHashes('r', 4) }],
        T0
      );
      // A count over the retention at T0+retention still reaches T0's bucket.
      await store.addActiveSeries([], T0 + DEFAULT_ACTIVE_SERIES_RETENTION_MS);
      expect(store.seriesHeld).toBe(4);
      await store.addActiveSeries(
        [],
        T0 + DEFAULT_ACTIVE_SERIES_RETENTION_MS + MINUTE_MS
      );
      expect(store.seriesHeld).toBe(0);
    });

    it('keeps buckets as long as the largest window asked so far', async () => {
      const store = new MemoryStateStore();
      await store.countActiveSeries('c', undefined, 10 * MINUTE_MS, T0);
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes: seriesHashes('w', 2) }],
        T0
      );
      await store.addActiveSeries([], T0 + 10 * MINUTE_MS);
      expect(store.seriesHeld).toBe(2);
      await store.addActiveSeries([], T0 + 11 * MINUTE_MS);
      expect(store.seriesHeld).toBe(0);
    });

    it('keeps a series in its latest bucket when an older add arrives late', async () => {
      const store = new MemoryStateStore();
      const hashes = seriesHashes('late', 1);
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes }],
        T0 + 2 * MINUTE_MS
      );
      await store.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes }],
        T0
      );
      expect(
        await store.countActiveSeries(
          'c',
          undefined,
          MINUTE_MS,
          T0 + 2 * MINUTE_MS
        )
      ).toBe(1);
    });
  });

  describe('activeSeriesBuckets() and mergeFrom()', () => {
    it('lists each series under the bucket of its latest add', async () => {
      const store = new MemoryStateStore();
      const [a, b] = seriesHashes('list', 2) as [string, string];
      await store.addActiveSeries(
        [{ cluster: 'c', metric: 'm', hashes: [a, b] }],
        T0
      );
      await store.addActiveSeries(
        [{ cluster: 'c', metric: 'm', hashes: [b] }],
        T0 + ACTIVE_SERIES_BUCKET_MS
      );
      const listed = [...store.activeSeriesBuckets()].map(bucket => ({
        cluster: bucket.cluster,
        metric: bucket.metric,
        bucketStartMs: bucket.bucketStartMs,
        hashes: [...bucket.hashes],
      }));
      expect(listed).toEqual([
        { cluster: 'c', metric: 'm', bucketStartMs: T0, hashes: [a] },
        {
          cluster: 'c',
          metric: 'm',
          bucketStartMs: T0 + ACTIVE_SERIES_BUCKET_MS,
          hashes: [b],
        },
      ]);
    });

    it('merges series and newer snapshots from another store', async () => {
      const into = new MemoryStateStore();
      const from = new MemoryStateStore();
      await into.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes: seriesHashes('m', 2) }],
        T0
      );
      await from.addActiveSeries(
        [{ cluster: 'c', metric: undefined, hashes: seriesHashes('m', 2, 1) }],
        T0
      );
      await into.publishSnapshot('k', 'r1', 'newer-here', 60_000, T0 + 10);
      await from.publishSnapshot('k', 'r1', 'older', 60_000, T0);
      await from.publishSnapshot('k', 'r2', 'only-there', 60_000, T0);
      into.mergeFrom(from, T0 + 10);
      expect(await into.countActiveSeries('c', undefined, MINUTE_MS, T0)).toBe(
        3
      );
      expect(
        (await into.readSnapshots('k', T0 + 10)).map(s => s.payload)
      ).toEqual(['newer-here', 'only-there']);
      expect(into.hasReplayableState()).toBe(true);
      expect(new MemoryStateStore().hasReplayableState()).toBe(false);
    });
  });

  describe('electReplica()', () => {
    it('follows a leader restored from a shared store', async () => {
      const store = new MemoryStateStore();
      store.restoreElection('c', 'a', T0, 30_000);
      expect(await store.electReplica('c', 'b', T0 + 30_000, 30_000)).toEqual({
        leader: 'a',
        isLeader: false,
      });
      expect(await store.electReplica('c', 'b', T0 + 30_001, 30_000)).toEqual({
        leader: 'b',
        isLeader: true,
      });
    });

    it('rejects a negative failover timeout', async () => {
      await expect(
        new MemoryStateStore().electReplica('c', 'a', T0, -1)
      ).rejects.toThrow(RangeError);
    });
  });
});
