/**
 * What the fleet tracker needs from other rooms, as small seams: the SLO
 * engine, the Kubernetes events store and the cardinality limiter implement
 * (or are wrapped to implement) these, and the composition root hands them
 * in. Each may answer synchronously or with a promise; a source that throws
 * is reported through `onError` and its reason is neither raised nor
 * refreshed (it clears through the hysteresis like any other).
 */

export type MaybePromise<T> = T | Promise<T>;

/** One SLO as the fleet view shows it. */
export interface SloStatus {
  readonly name: string;
  /** e.g. 0.999. */
  readonly objective: number;
  /** Remaining error budget as a ratio of the whole budget (1 untouched, below 0 overspent). */
  readonly errorBudgetRemaining: number;
  /** Severity (`page`, `ticket`) → whether its burn-rate alert fires. */
  readonly alerts: Readonly<Record<string, boolean>>;
}

/** The SLO engine, per cluster and fleet-wide. */
export interface SloAlertSource {
  /** Names of the SLOs whose page-severity (fast-burn) alert fires for `cluster`. */
  firingPageAlerts(cluster: string): MaybePromise<readonly string[]>;
  /** The SLOs evaluated for `cluster` (the cluster detail's `slos`). */
  clusterSlos(cluster: string): MaybePromise<readonly SloStatus[]>;
  /** Each SLO over the whole fleet (the fleet view's `slos`). */
  fleetSlos(): MaybePromise<readonly SloStatus[]>;
}

/** Counts by reason: a Map or a plain record, whichever the source keeps. */
export type CountsByReason =
  ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** The Kubernetes events store. */
export interface WarningEventSource {
  /** Warning events of `cluster` seen at or after `sinceMs`, counted by reason (deduplicated occurrences). */
  recentWarnings(
    cluster: string,
    sinceMs: number
  ): MaybePromise<CountsByReason>;
}

/** Active series and their budget per cluster (the cardinality limiter). */
export interface CardinalityBudgetSource {
  /** Series active within the cluster's active window on this replica; undefined when not tracked. */
  activeSeries(cluster: string): number | undefined;
  /** The cluster's `max_series_per_cluster` (0 = unlimited). */
  seriesBudget(cluster: string): number;
}

/** Entries of counts by reason, whatever their container. */
export function countEntries(counts: CountsByReason): [string, number][] {
  if (counts instanceof Map)
    return [...(counts as ReadonlyMap<string, number>)];
  return Object.entries(counts as Readonly<Record<string, number>>);
}
