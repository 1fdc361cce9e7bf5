/**
 * What the cardinality limiter and its API need of the state store.
 * `StateStore` (state/state-store.ts) satisfies it structurally; the seam is
 * declared here because pipeline stages do not import state/ (STYLE rule 2,
 * enforced by lint).
 */

/** Series hashes (16 hex digits) to mark active in one sketch. */
export interface CardinalitySketchAdd {
  /** The cluster's set (metric undefined), a metric within it, or the fleet's set of a metric (cluster undefined). */
  readonly cluster: string | undefined;
  readonly metric: string | undefined;
  readonly hashes: readonly string[];
}

export interface CardinalitySnapshot {
  readonly replicaId: string;
  readonly payload: string;
  readonly publishedAtMs: number;
}

export interface CardinalityStore {
  /** Whether other replicas share this state (otherwise nothing is published). */
  readonly isShared: boolean;
  /** Marks series active now (Redis: PFADD into bucketed HyperLogLogs). */
  addActiveSeries(
    adds: readonly CardinalitySketchAdd[],
    nowMs: number
  ): Promise<void>;
  /** Distinct series active within `windowMs` before `nowMs` in one set (HLL: 0.81% standard error). */
  countActiveSeries(
    cluster: string | undefined,
    metric: string | undefined,
    windowMs: number,
    nowMs: number
  ): Promise<number>;
  /** Replaces this replica's snapshot of one kind. */
  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void>;
  /** Every replica's live snapshot of one kind. */
  readSnapshots(kind: string, nowMs: number): Promise<CardinalitySnapshot[]>;
}
