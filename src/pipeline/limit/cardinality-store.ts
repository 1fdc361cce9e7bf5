/**
 * What the cardinality limiter and its API need of the state store: the
 * active-series sketches, and the snapshot transport its summaries travel
 * by (state/snapshot/: the one declaration of that contract). `StateStore`
 * satisfies it structurally; the sketch seam is declared here because
 * pipeline stages do not import the stores (STYLE rule 2, enforced by lint).
 */
import type { SnapshotTransport } from '../../state/snapshot/index.js';

/** Series hashes (16 hex digits) to mark active in one sketch. */
export interface CardinalitySketchAdd {
  /** The cluster's set (metric undefined), a metric within it, or the fleet's set of a metric (cluster undefined). */
  readonly cluster: string | undefined;
  readonly metric: string | undefined;
  readonly hashes: readonly string[];
}

export interface CardinalityStore extends SnapshotTransport {
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
}
