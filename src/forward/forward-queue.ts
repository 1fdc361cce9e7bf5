/**
 * The seam between enqueue (inside an ingest request) and the sender loop of
 * one shard of one downstream. A queue holds *encoded bytes*: fragments, each
 * a run of concatenated remote write 1.0 `WriteRequest.timeseries` (field 1)
 * and `metadata` (field 3) entries, so that concatenating any run of
 * fragments is a valid WriteRequest body. Because nothing in it is a JS
 * object per series, a durable disk queue can implement the same interface.
 *
 * One producer (enqueue, synchronous) and one consumer (the shard's sender
 * loop) per queue. The consumer `peek`s a batch, sends it, then `commit`s it;
 * until then the batch stays queued and counts against capacity, so a crash
 * or a stop loses nothing a durable implementation has written.
 *
 * Whole or nothing (issue 11): an appended fragment is *held*, invisible to
 * `peek`, until the producer `release`s it, once the request it belongs to
 * is durable in every queue it touched; if any append or sync of that
 * request fails, the producer `rollbackTo`s where each queue stood, so
 * nothing of a refused request is ever sent (AppendLedger does this).
 * Fragments are numbered in append order (`tailSeq` is the next number).
 */

/** Fragments taken from the head of a queue for one send. */
export interface QueuedBatch {
  /** In queue order; owned by the queue until `commit`, never mutated. */
  readonly fragments: readonly Uint8Array[];
  /** Samples plus histograms in the fragments. */
  readonly points: number;
  /** Sum of the fragments' byte lengths (the uncompressed body size). */
  readonly bytes: number;
}

export interface ForwardQueue {
  /** Points (samples plus histograms) queued, including a peeked batch not yet committed. */
  readonly points: number;
  /** Bytes queued, including a peeked batch not yet committed. */
  readonly bytes: number;
  /** Fragments queued, held ones included (a metadata-only fragment holds zero points). */
  readonly fragmentCount: number;
  /** Fragments released and not yet committed: what `peek` can return. */
  readonly readyCount: number;
  /** The sequence number the next appended fragment gets. */
  readonly tailSeq: number;
  /** Points this queue holds before it refuses appends. */
  readonly capacityPoints: number;
  /** Bytes this queue holds before it refuses appends. */
  readonly capacityBytes: number;

  /**
   * Whether one fragment of `points` and `bytes` would be taken now. The
   * forwarder asks every shard (and the fan-out every downstream) before
   * appending anywhere, so an enqueue is all or nothing.
   */
  hasRoom(points: number, bytes: number): boolean;

  /**
   * Appends one fragment, taking ownership of it (it must not be a view of a
   * reused buffer). Returns false, appending nothing, when `hasRoom` is false.
   */
  tryAppend(fragment: Uint8Array, points: number): boolean;

  /**
   * Makes the fragments numbered below `seq` visible to `peek` (their
   * request is acknowledged). Releasing is monotonic.
   */
  release(seq: number): void;

  /**
   * Removes the held fragments numbered `seq` and up (a refused request's,
   * and any appended after it), synchronously. Released fragments are never
   * removed. Returns the points removed.
   */
  rollbackTo(seq: number): number;

  /**
   * Whole released fragments from the head, up to `maxPoints` and
   * `maxBytes`, without removing them; a single head fragment over either
   * limit comes alone. Resolves undefined when nothing is released. Peeking
   * again before `commit` returns the same head.
   */
  peek(maxPoints: number, maxBytes: number): Promise<QueuedBatch | undefined>;

  /**
   * Removes a batch returned by the last `peek` (sent, or refused for good).
   * Resolves with the points it removed: fewer than `batch.points` when a
   * durable queue's age limit dropped some meanwhile (reported as drops).
   */
  commit(batch: QueuedBatch): Promise<number>;

  /**
   * Optional, for durable queues: resolves when every fragment appended
   * before the call is as durable as the queue promises before a request is
   * acknowledged (a disk queue with fsync `always`: fdatasync'd; appends
   * made meanwhile by other requests share the same fsync). Rejects when it
   * cannot be made so; the request must then not be acknowledged. Absent
   * (memory queue): appended is as safe as it gets.
   */
  sync?(): Promise<void>;
}
