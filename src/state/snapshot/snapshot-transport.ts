/**
 * The transport of the snapshot-and-merge contract (docs/architecture.md
 * "State"): each stateful view (SLO counters, fleet records, cardinality)
 * publishes its own snapshot under a kind, and reads every publisher's live
 * snapshot of that kind to merge them.
 *
 * Declared once here. `StateStore` implements it (memory and Redis:
 * replicas); MemorySnapshotTransport implements it in one process (tests,
 * and the shape a worker-thread hub over MessagePorts takes next). What
 * travels is an opaque string, so any transport that carries strings fits.
 */

/** One publisher's (replica's or worker's) live snapshot of one kind. */
export interface ReplicaSnapshot {
  readonly replicaId: string;
  readonly payload: string;
  readonly publishedAtMs: number;
}

export interface SnapshotTransport {
  /**
   * Whether other publishers share this transport. When not, the local view
   * is the whole truth and views skip publishing.
   */
  readonly isShared: boolean;
  /**
   * Replaces this publisher's snapshot of one kind. It is live while
   * `nowMs < publishedAtMs + ttlMs` (`ttlMs` must be > 0).
   */
  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void>;
  /** Every publisher's live snapshot of one kind (its own included), sorted by replicaId. */
  readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]>;
}
