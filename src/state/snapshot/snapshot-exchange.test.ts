import { describe, expect, it, vi } from 'vitest';
import { MemorySnapshotTransport } from './memory-snapshot-transport.js';
import {
  collectByKey,
  SnapshotExchange,
  type SnapshotCodec,
} from './snapshot-exchange.js';
import type { SnapshotTransport } from './snapshot-transport.js';

// `satisfies`, not a type annotation: its members stay plain functions
// (no `this`), so a test can hand one to vi.fn on its own.
const COUNT_CODEC = {
  encode: (s: { n: number }) => JSON.stringify(s),
  decode: payload => {
    const raw = JSON.parse(payload) as { n?: unknown };
    if (typeof raw.n !== 'number') throw new TypeError('n: want a number');
    return { n: raw.n };
  },
} satisfies SnapshotCodec<{ n: number }>;

function exchange(
  transport: SnapshotTransport,
  replicaId: string,
  extra: { readCacheMs?: number; onError?: (err: unknown) => void } = {}
): SnapshotExchange<{ n: number }> {
  return new SnapshotExchange({
    transport,
    kind: 'counts',
    replicaId,
    codec: COUNT_CODEC,
    what: 'count',
    ...extra,
  });
}

describe('SnapshotExchange', () => {
  describe('read()', () => {
    it('returns every live publisher, decoded and sorted by replica id', async () => {
      const transport = new MemorySnapshotTransport();
      const a = exchange(transport, 'a');
      const b = exchange(transport, 'b');
      await b.publish({ n: 2 }, 1000, 10);
      await a.publish({ n: 1 }, 1000, 20);
      expect(await a.read(30)).toEqual([
        { replicaId: 'a', publishedAtMs: 20, snapshot: { n: 1 } },
        { replicaId: 'b', publishedAtMs: 10, snapshot: { n: 2 } },
      ]);
      expect((await a.readPeers(30)).map(p => p.replicaId)).toEqual(['b']);
    });

    it('leaves out snapshots whose TTL ran out', async () => {
      const transport = new MemorySnapshotTransport();
      const a = exchange(transport, 'a');
      await a.publish({ n: 1 }, 100, 0);
      expect(await a.read(99)).toHaveLength(1);
      expect(await a.read(100)).toEqual([]);
    });

    it('reports a snapshot that does not decode and keeps the others', async () => {
      const transport = new MemorySnapshotTransport();
      const onError = vi.fn();
      const a = exchange(transport, 'a', { onError });
      await transport.publishSnapshot('counts', 'z', '{"n":"x"}', 1000, 0);
      await a.publish({ n: 1 }, 1000, 0);
      expect((await a.read(1)).map(p => p.replicaId)).toEqual(['a']);
      expect(onError).toHaveBeenCalledOnce();
      expect((onError.mock.calls[0]![0] as Error).message).toBe(
        'cannot decode the count snapshot of replica z: n: want a number'
      );
    });

    it('decodes a publisher again only when it published again', async () => {
      const transport = new MemorySnapshotTransport();
      const decode = vi.fn((payload: string) => COUNT_CODEC.decode(payload));
      const a = new SnapshotExchange({
        transport,
        kind: 'counts',
        replicaId: 'a',
        codec: { encode: (s: { n: number }) => COUNT_CODEC.encode(s), decode },
        what: 'count',
      });
      await transport.publishSnapshot('counts', 'b', '{"n":1}', 1000, 0);
      const first = await a.read(1);
      const second = await a.read(2);
      expect(second[0]).toBe(first[0]);
      expect(decode).toHaveBeenCalledTimes(1);
      await transport.publishSnapshot('counts', 'b', '{"n":2}', 1000, 3);
      expect((await a.read(4))[0]!.snapshot).toEqual({ n: 2 });
      expect(decode).toHaveBeenCalledTimes(2);
    });

    it('reuses a read for readCacheMs, and an own publish ends the reuse', async () => {
      const transport = new MemorySnapshotTransport();
      const read = vi.spyOn(transport, 'readSnapshots');
      const a = exchange(transport, 'a', { readCacheMs: 1000 });
      await a.read(0);
      await a.read(999);
      expect(read).toHaveBeenCalledTimes(1);
      await a.read(1000);
      expect(read).toHaveBeenCalledTimes(2);
      await a.publish({ n: 1 }, 5000, 1001);
      expect(await a.read(1002)).toHaveLength(1);
      expect(read).toHaveBeenCalledTimes(3);
    });
  });

  it('says whether its transport is shared', () => {
    const local: SnapshotTransport = {
      isShared: false,
      publishSnapshot: () => Promise.resolve(),
      readSnapshots: () => Promise.resolve([]),
    };
    expect(exchange(local, 'a').isShared).toBe(false);
    expect(exchange(new MemorySnapshotTransport(), 'a').isShared).toBe(true);
  });
});

describe('MemorySnapshotTransport', () => {
  it('refuses a TTL that is not positive', async () => {
    await expect(
      new MemorySnapshotTransport().publishSnapshot('k', 'a', '', 0, 0)
    ).rejects.toThrow(
      'cannot publish a snapshot: ttlMs must be a finite number > 0, got 0'
    );
  });
});

describe('collectByKey()', () => {
  const local = new Map([
    ['x', 1],
    ['y', 2],
  ]);
  const peer = new Map([
    ['y', 20],
    ['z', 30],
  ]);

  it('groups parts by key, in source order', () => {
    expect([...collectByKey([local, peer])]).toEqual([
      ['x', [1]],
      ['y', [2, 20]],
      ['z', [30]],
    ]);
  });

  it('collects one key only when asked', () => {
    expect([...collectByKey([local, peer], 'y')]).toEqual([['y', [2, 20]]]);
    expect([...collectByKey([local, peer], 'w')]).toEqual([]);
  });
});
