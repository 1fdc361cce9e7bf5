/**
 * What the SLO engine needs of the state store. `StateStore`
 * (state/state-store.ts) satisfies it structurally; the seam is declared
 * here so slo/ does not depend on state/ (the pipeline's rule, STYLE rule 2).
 */

export interface SloSnapshot {
  readonly replicaId: string;
  readonly payload: string;
  readonly publishedAtMs: number;
}

export interface SloStore {
  /** Whether other replicas share this state (otherwise nothing is published and answers are local). */
  readonly isShared: boolean;
  /** Replaces this replica's snapshot of one kind; live while `nowMs < publishedAtMs + ttlMs`. */
  publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void>;
  /** Every replica's live snapshot of one kind, sorted by replicaId. */
  readSnapshots(kind: string, nowMs: number): Promise<SloSnapshot[]>;
}
