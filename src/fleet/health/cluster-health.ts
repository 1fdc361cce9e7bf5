/**
 * The fleet health model: the states a cluster can be in, the reasons that
 * make it degraded, and what one evaluation says about one cluster
 * (PROTOCOLS.md §2.19; issue 6 items 1–3). Plain values: the tracker
 * computes them, the API and the metrics render them.
 */

/** What a cluster sends us; each has its own last-seen time. */
export type Signal = 'metrics' | 'logs' | 'events';

export const SIGNALS: readonly Signal[] = ['metrics', 'logs', 'events'];

/**
 * - `unknown`: registered, never seen (Rancher Fleet's `WaitCheckIn`, Plural's `Pending`);
 * - `healthy`: seen within `stale_after`, no degraded reason;
 * - `degraded`: seen within `stale_after`, at least one {@link DegradedReasonCode};
 * - `stale`: nothing for `stale_after` (default 5m);
 * - `down`: nothing for `down_after` (default 15m; Rancher's "Disconnected", rancher#12552);
 * - `unregistered`: sends without being in the registry (loopback anonymous mode).
 */
export type ClusterState =
  'unknown' | 'healthy' | 'degraded' | 'stale' | 'down' | 'unregistered';

export const CLUSTER_STATES: readonly ClusterState[] = [
  'healthy',
  'degraded',
  'stale',
  'down',
  'unknown',
  'unregistered',
];

/** Why a cluster is degraded; stable codes (API, metrics, CLI). */
export type DegradedReasonCode =
  | 'slo_fast_burn'
  | 'cardinality_budget_exceeded'
  | 'ingestion_refusals'
  | 'warning_events_spike'
  | 'clock_skew';

export const DEGRADED_REASON_CODES: readonly DegradedReasonCode[] = [
  'slo_fast_burn',
  'cardinality_budget_exceeded',
  'ingestion_refusals',
  'warning_events_spike',
  'clock_skew',
];

/** The reason code of a `stale` or `down` cluster (how long it has been silent). */
export const NO_DATA_REASON = 'no_data';

/** One reason, with the measured numbers in its message. */
export interface HealthReason {
  readonly code: DegradedReasonCode | typeof NO_DATA_REASON;
  readonly message: string;
  /** When the reason was first raised (ms since the epoch). */
  readonly sinceMs: number;
}

/** A collector seen sending for a cluster, from User-Agent and OTLP resource attributes. */
export interface CollectorSighting {
  /** e.g. `prometheus`, `otelcol-contrib`, `alloy`, `vmagent`, `otel-sdk-nodejs`. */
  readonly kind: string;
  /** Version as sent, without a leading `v`; `''` when not told. */
  readonly version: string;
  readonly lastSeenMs: number;
  readonly signals: readonly Signal[];
}

/** What one evaluation says about one cluster (rates and counts are fleet-wide: all replicas merged). */
export interface ClusterHealth {
  readonly cluster: string;
  readonly region: string;
  readonly env: string;
  readonly team: string;
  readonly isRegistered: boolean;
  readonly state: ClusterState;
  /** Degraded reasons (held ones included), or the `no_data` reason of a stale/down cluster. */
  readonly reasons: readonly HealthReason[];
  /** Last request per signal (accepted or refused: the cluster reached us), ms since the epoch. */
  readonly lastSeenMs: Readonly<Partial<Record<Signal, number>>>;
  readonly samplesPerSecond: number;
  readonly logLinesPerSecond: number;
  readonly eventsPerSecond: number;
  /** Active series (from the cardinality source), undefined when unknown. */
  readonly activeSeries: number | undefined;
  /** `max_series_per_cluster` (0 = unlimited), undefined when unknown. */
  readonly seriesBudget: number | undefined;
  /** activeSeries / seriesBudget, undefined when either is unknown or unlimited. */
  readonly budgetUse: number | undefined;
  /** Series dropped by reason within {@link ClusterHealth.countWindowMs}. */
  readonly drops: Readonly<Record<string, number>>;
  /** Requests refused as a whole, by reason, within the count window. */
  readonly refusals: Readonly<Record<string, number>>;
  /** Requests (accepted and refused) within the count window. */
  readonly requests: number;
  readonly countWindowMs: number;
  /** Estimated clock skew (positive: the cluster's clock is ahead), undefined when it cannot be told. */
  readonly clockSkewMs: number | undefined;
  readonly skewVerdict: string;
  readonly skewObservations: number;
  /** Most recently seen first. */
  readonly collectors: readonly CollectorSighting[];
}

/** Worst first: the order of the fleet list (down, stale, degraded, unknown, healthy). */
export function stateRank(state: ClusterState): number {
  switch (state) {
    case 'down':
      return 0;
    case 'stale':
      return 1;
    case 'degraded':
      return 2;
    case 'unknown':
      return 3;
    case 'unregistered':
      return 4;
    case 'healthy':
      return 5;
  }
}

/** Newest last-seen over all signals, or undefined when never seen. */
export function newestLastSeen(
  lastSeenMs: Readonly<Partial<Record<Signal, number>>>
): number | undefined {
  let newest: number | undefined;
  for (const signal of SIGNALS) {
    const at = lastSeenMs[signal];
    if (at !== undefined && (newest === undefined || at > newest)) newest = at;
  }
  return newest;
}

/** Orders clusters worst first, then the most reasons, the longest silent, and by name. */
export function compareWorstFirst(a: ClusterHealth, b: ClusterHealth): number {
  const rank = stateRank(a.state) - stateRank(b.state);
  if (rank !== 0) return rank;
  const reasons = b.reasons.length - a.reasons.length;
  if (reasons !== 0) return reasons;
  const seenA = newestLastSeen(a.lastSeenMs) ?? 0;
  const seenB = newestLastSeen(b.lastSeenMs) ?? 0;
  if (seenA !== seenB) return seenA - seenB;
  return a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0;
}
