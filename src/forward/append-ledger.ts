/**
 * Whole-or-nothing appends of one request across every queue it touches:
 * the shards of one downstream and the downstreams of a fan-out (issue 11,
 * finding 2: samples of refused requests, partly appended before the disk
 * filled, were delivered anyway, and became duplicates when the sender
 * retried).
 *
 * 1. `append` notes where every shard's queue ends, then runs the writes
 *    (synchronously). If one throws (disk full, I/O error), every shard is
 *    rolled back to where it stood, in the same turn, before any sender
 *    loop could peek, and the error is rethrown: the request is refused.
 * 2. The appended fragments are held (ForwardQueue.release) while the
 *    request's sync (fdatasync with fsync `always`) runs. Requests are
 *    released strictly in append order, once durable, so a fragment never
 *    becomes visible ahead of an earlier request that may still fail.
 * 3. If a sync fails, every held fragment of every pending request is
 *    rolled back and all those requests are refused: they were appended
 *    behind the failed one in at least one queue, and a queue can only be
 *    cut back from its tail. They are not acknowledged yet, so the senders
 *    retry them; nothing refused is ever sent.
 *
 * One ledger serves every shard of the queues it guards (the fan-out owns
 * it); a shard must never be appended to outside it, or a rollback would
 * cut another producer's fragments.
 */
import { OverloadedError } from '../errors.js';

/** The producer side of one shard's queue (QueueSender). */
export interface LedgerShard {
  /** Sequence number of the next fragment appended (ForwardQueue.tailSeq). */
  readonly tailSeq: number;
  /** Removes the held fragments numbered `seq` and up, and un-counts them. */
  rollbackTo(seq: number): void;
  /** Makes the fragments numbered below `seq` sendable, and wakes the sender. */
  release(seq: number): void;
}

/** Retry-After for a request refused because a concurrent one's sync failed. */
const ROLLED_BACK_RETRY_AFTER_MS = 1000;

interface PendingAppend {
  readonly shards: readonly LedgerShard[];
  /** Where each shard stood before the request's appends. */
  readonly starts: Float64Array;
  /** Where each shard stood after them. */
  readonly ends: Float64Array;
  state: 'syncing' | 'durable' | 'released' | 'refused';
  /** Set while a durable request waits for an earlier one: how it learns its fate. */
  onSettled: ((err: Error | undefined) => void) | undefined;
}

export class AppendLedger {
  // Requests appended and not yet released, in append order; as many as
  // requests awaiting their fsync (tens), never per sample.
  private readonly _pending: PendingAppend[] = [];

  /** Requests appended whose fragments are still held. */
  get pendingCount(): number {
    return this._pending.length;
  }

  /**
   * Runs `write` (which appends to some of `shards`) whole or not at all:
   * throws what `write` threw after rolling every shard back. Otherwise
   * resolves once `sync` has and the fragments are released; rejects (the
   * request must be refused) when `sync`, or a concurrent request's, fails.
   */
  append(
    shards: readonly LedgerShard[],
    write: () => void,
    sync: () => Promise<void>
  ): Promise<void> {
    const count = shards.length;
    const starts = new Float64Array(count);
    for (let i = 0; i < count; i++) starts[i] = shards[i]!.tailSeq;
    try {
      write();
    } catch (err) {
      for (let i = count - 1; i >= 0; i--) shards[i]!.rollbackTo(starts[i]!);
      throw err;
    }
    const ends = new Float64Array(count);
    for (let i = 0; i < count; i++) ends[i] = shards[i]!.tailSeq;
    const entry: PendingAppend = {
      shards,
      starts,
      ends,
      state: 'syncing',
      onSettled: undefined,
    };
    this._pending.push(entry);
    return this._settle(entry, sync);
  }

  private async _settle(
    entry: PendingAppend,
    sync: () => Promise<void>
  ): Promise<void> {
    try {
      await sync();
    } catch (err) {
      if (entry.state === 'syncing') this._refusePending();
      throw err;
    }
    if (entry.state === 'refused') throw rolledBackError();
    entry.state = 'durable';
    const pending = this._pending;
    while (pending.length > 0 && pending[0]!.state === 'durable') {
      const head = pending.shift()!;
      head.state = 'released';
      for (let i = 0; i < head.shards.length; i++)
        head.shards[i]!.release(head.ends[i]!);
      head.onSettled?.(undefined);
    }
    // (Read through a call: the loop above may have released it.)
    if (stateOf(entry) === 'released') return;
    // Durable, but behind a request still syncing: acknowledged only once
    // released, since that request's failure would cut this one off too.
    await new Promise<void>((resolve, reject) => {
      entry.onSettled = err => (err === undefined ? resolve() : reject(err));
    });
  }

  /** Refuses every pending request and cuts all their fragments off, newest first. */
  private _refusePending(): void {
    const pending = this._pending.splice(0);
    for (const entry of pending) entry.state = 'refused';
    for (let p = pending.length - 1; p >= 0; p--) {
      const entry = pending[p]!;
      for (let i = entry.shards.length - 1; i >= 0; i--)
        entry.shards[i]!.rollbackTo(entry.starts[i]!);
    }
    for (const entry of pending) entry.onSettled?.(rolledBackError());
  }
}

function stateOf(entry: PendingAppend): PendingAppend['state'] {
  return entry.state;
}

function rolledBackError(): OverloadedError {
  return new OverloadedError(
    'cannot enqueue: a request appended alongside this one could not be made durable, and this one was cut off with it',
    'queue_unwritable',
    ROLLED_BACK_RETRY_AFTER_MS
  );
}
