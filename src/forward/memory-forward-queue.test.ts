import { describe, expect, it } from 'vitest';
import { MemoryForwardQueue } from './memory-forward-queue.js';
import { appendReleased } from './testing/forward-fixtures.js';

function bytes(length: number, fill = 0): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

function queue(
  capacityPoints = 100,
  capacityBytes = 10_000,
  maxFragments?: number
): MemoryForwardQueue {
  return new MemoryForwardQueue(
    maxFragments === undefined
      ? { capacityPoints, capacityBytes }
      : { capacityPoints, capacityBytes, maxFragments }
  );
}

describe('MemoryForwardQueue', () => {
  describe('tryAppend()', () => {
    it('counts points, bytes and fragments', () => {
      const q = queue();
      expect(appendReleased(q, bytes(10), 3)).toBe(true);
      expect(appendReleased(q, bytes(20), 0)).toBe(true);
      expect([q.points, q.bytes, q.fragmentCount]).toEqual([3, 30, 2]);
    });

    it('refuses a fragment over the points capacity and changes nothing', () => {
      const q = queue(10);
      appendReleased(q, bytes(5), 8);
      expect(q.hasRoom(3, 5)).toBe(false);
      expect(appendReleased(q, bytes(5), 3)).toBe(false);
      expect([q.points, q.bytes, q.fragmentCount]).toEqual([8, 5, 1]);
      expect(appendReleased(q, bytes(5), 2)).toBe(true);
    });

    it('refuses a fragment over the bytes capacity (metadata holds no points)', () => {
      const q = queue(10, 100);
      appendReleased(q, bytes(60), 0);
      expect(appendReleased(q, bytes(41), 0)).toBe(false);
      expect(appendReleased(q, bytes(40), 0)).toBe(true);
    });

    it('refuses past maxFragments', () => {
      const q = queue(100, 10_000, 2);
      appendReleased(q, bytes(1), 0);
      appendReleased(q, bytes(1), 0);
      expect(appendReleased(q, bytes(1), 0)).toBe(false);
    });

    it('takes one oversized fragment when empty, so a big request never wedges', () => {
      const q = queue(10, 100);
      expect(appendReleased(q, bytes(500), 50)).toBe(true);
      expect(appendReleased(q, bytes(1), 1)).toBe(false);
    });
  });

  describe('peek()', () => {
    it('takes whole fragments up to the points limit, in order', async () => {
      const q = queue();
      for (let i = 1; i <= 4; i++) appendReleased(q, bytes(1, i), 4);
      const batch = await q.peek(10, 1000);
      expect(batch?.fragments.map(f => f[0])).toEqual([1, 2]);
      expect(batch?.points).toBe(8);
      expect(batch?.bytes).toBe(2);
    });

    it('takes a head fragment over the limit alone', async () => {
      const q = queue();
      appendReleased(q, bytes(1, 1), 50);
      appendReleased(q, bytes(1, 2), 1);
      const batch = await q.peek(10, 1000);
      expect(batch?.fragments.map(f => f[0])).toEqual([1]);
    });

    it('stops at the bytes limit', async () => {
      const q = queue();
      appendReleased(q, bytes(60, 1), 0);
      appendReleased(q, bytes(60, 2), 0);
      expect((await q.peek(10, 100))?.fragments).toHaveLength(1);
    });

    it('resolves undefined when empty', async () => {
      expect(await queue().peek(10, 100)).toBeUndefined();
    });

    it('leaves the batch queued until commit', async () => {
      const q = queue();
      appendReleased(q, bytes(3), 3);
      const first = await q.peek(10, 100);
      const again = await q.peek(10, 100);
      expect(again?.fragments[0]).toBe(first?.fragments[0]);
      expect(q.points).toBe(3);
    });
  });

  describe('commit()', () => {
    it('removes the peeked fragments and keeps later appends', async () => {
      const q = queue();
      appendReleased(q, bytes(2, 1), 2);
      const batch = (await q.peek(10, 100))!;
      appendReleased(q, bytes(3, 2), 3);
      await q.commit(batch);
      expect([q.points, q.bytes, q.fragmentCount]).toEqual([3, 3, 1]);
      expect((await q.peek(10, 100))?.fragments[0]?.[0]).toBe(2);
    });

    it('rejects a batch that is not the head', async () => {
      const q = queue();
      appendReleased(q, bytes(1), 1);
      await expect(
        q.commit({ fragments: [bytes(1)], points: 1, bytes: 1 })
      ).rejects.toThrow(/not the head/);
    });

    it('keeps FIFO order while the ring wraps around and grows', async () => {
      const q = queue(10_000, 1_000_000);
      let next = 0;
      let expected = 0;
      for (let round = 0; round < 50; round++) {
        for (let i = 0; i < 7; i++)
          appendReleased(q, Uint8Array.of(next++ % 256), 1);
        const batch = (await q.peek(5, 1_000_000))!;
        for (const fragment of batch.fragments)
          expect(fragment[0]).toBe(expected++ % 256);
        await q.commit(batch);
      }
      expect(q.points).toBe(next - expected);
      expect(q.fragmentCount).toBe(next - expected);
    });
  });

  describe('release() and rollbackTo()', () => {
    it('holds fragments until released and removes only held ones', async () => {
      const q = new MemoryForwardQueue({
        capacityPoints: 100,
        capacityBytes: 1000,
      });
      appendReleased(q, Uint8Array.of(1), 1);
      const start = q.tailSeq;
      q.tryAppend(Uint8Array.of(2), 2);
      q.tryAppend(Uint8Array.of(3), 3);
      expect(q.readyCount).toBe(1);
      expect((await q.peek(100, 1000))!.fragments).toEqual([Uint8Array.of(1)]);
      expect(q.rollbackTo(start)).toBe(5);
      expect([q.points, q.bytes, q.fragmentCount]).toEqual([1, 1, 1]);
      expect(q.rollbackTo(0)).toBe(0);
      q.tryAppend(Uint8Array.of(4), 4);
      q.release(q.tailSeq);
      expect((await q.peek(100, 1000))!.fragments).toEqual([
        Uint8Array.of(1),
        Uint8Array.of(4),
      ]);
    });
  });
});
