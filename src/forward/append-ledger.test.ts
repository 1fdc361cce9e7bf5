import { describe, expect, it } from 'vitest';
import { OverloadedError } from '../errors.js';
import { AppendLedger, type LedgerShard } from './append-ledger.js';
import { MemoryForwardQueue } from './memory-forward-queue.js';

/** A shard over a memory queue: what QueueSender does for the ledger, without a sender. */
class TestShard implements LedgerShard {
  readonly queue = new MemoryForwardQueue({
    capacityPoints: 1000,
    capacityBytes: 1_000_000,
  });
  releases = 0;
  get tailSeq(): number {
    return this.queue.tailSeq;
  }
  rollbackTo(seq: number): void {
    this.queue.rollbackTo(seq);
  }
  release(seq: number): void {
    this.releases++;
    this.queue.release(seq);
  }
  append(id: number): void {
    this.queue.tryAppend(new Uint8Array([id]), 1);
  }
  /** Ids of what a sender could take now. */
  async sendable(): Promise<number[]> {
    const batch = await this.queue.peek(1000, 1_000_000);
    return batch === undefined ? [] : batch.fragments.map(f => f[0]!);
  }
}

/** A sync the test settles by hand. */
function deferred(): {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
} {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const diskFull = (): OverloadedError =>
  new OverloadedError('cannot append: ENOSPC', 'queue_unwritable', 1000);

describe('AppendLedger', () => {
  describe('append()', () => {
    it('holds the fragments until the sync resolves, then releases them', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      const sync = deferred();
      const done = ledger.append(
        [a],
        () => a.append(1),
        () => sync.promise
      );
      expect(await a.sendable()).toEqual([]);
      sync.resolve();
      await done;
      expect(await a.sendable()).toEqual([1]);
      expect(ledger.pendingCount).toBe(0);
    });

    it('rolls every shard back and rethrows when a write throws midway', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      const b = new TestShard();
      await ledger.append(
        [a, b],
        () => a.append(1),
        () => Promise.resolve()
      );
      expect(() =>
        ledger.append(
          [a, b],
          () => {
            a.append(2);
            throw diskFull();
          },
          () => Promise.resolve()
        )
      ).toThrow(OverloadedError);
      expect(await a.sendable()).toEqual([1]);
      expect(a.queue.fragmentCount).toBe(1);
      expect(b.queue.fragmentCount).toBe(0);
      expect(ledger.pendingCount).toBe(0);
    });

    it('releases in append order: a later request waits for an earlier one', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      const first = deferred();
      const second = deferred();
      const one = ledger.append(
        [a],
        () => a.append(1),
        () => first.promise
      );
      const two = ledger.append(
        [a],
        () => a.append(2),
        () => second.promise
      );
      second.resolve();
      await new Promise(resolve => setImmediate(resolve));
      expect(await a.sendable()).toEqual([]);
      first.resolve();
      await Promise.all([one, two]);
      expect(await a.sendable()).toEqual([1, 2]);
    });

    it('refuses every pending request and cuts them all off when a sync fails', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      const b = new TestShard();
      await ledger.append(
        [a, b],
        () => a.append(0),
        () => Promise.resolve()
      );
      const failing = deferred();
      const alongside = deferred();
      const one = ledger.append(
        [a, b],
        () => {
          a.append(1);
          b.append(1);
        },
        () => failing.promise
      );
      const two = ledger.append(
        [a, b],
        () => b.append(2),
        () => alongside.promise
      );
      failing.reject(diskFull());
      await expect(one).rejects.toThrow('ENOSPC');
      alongside.resolve();
      await expect(two).rejects.toThrow(
        /could not be made durable, and this one was cut off with it/
      );
      expect(await a.sendable()).toEqual([0]);
      expect(await b.sendable()).toEqual([]);
      expect(b.queue.fragmentCount).toBe(0);
      // The queues take and release new requests again.
      await ledger.append(
        [a, b],
        () => b.append(3),
        () => Promise.resolve()
      );
      expect(await b.sendable()).toEqual([3]);
    });

    it('acknowledges a durable request only once released: an earlier failure refuses it too', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      const earlier = deferred();
      const one = ledger.append(
        [a],
        () => a.append(1),
        () => earlier.promise
      );
      let isTwoSettled = false;
      const two = ledger
        .append(
          [a],
          () => a.append(2),
          () => Promise.resolve()
        )
        .finally(() => {
          isTwoSettled = true;
        });
      await new Promise(resolve => setImmediate(resolve));
      expect(isTwoSettled).toBe(false);
      earlier.reject(diskFull());
      await expect(one).rejects.toThrow('ENOSPC');
      await expect(two).rejects.toThrow(/cut off with it/);
      expect(a.queue.fragmentCount).toBe(0);
    });

    it('never cuts off what was released before a later sync failed', async () => {
      const ledger = new AppendLedger();
      const a = new TestShard();
      await ledger.append(
        [a],
        () => a.append(1),
        () => Promise.resolve()
      );
      await expect(
        ledger.append(
          [a],
          () => a.append(2),
          () => Promise.reject(diskFull())
        )
      ).rejects.toThrow(OverloadedError);
      expect(await a.sendable()).toEqual([1]);
    });
  });
});
