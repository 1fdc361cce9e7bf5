/**
 * Exact active series per cluster, by 64-bit series hash: one SeriesTable
 * per cluster, one clock, one incremental expiry sweep, and fleet-wide
 * per-metric counts.
 *
 * A series is active from its first sample until it has been idle for its
 * cluster's active window. Expiry happens in two ways, both driven by the
 * caller's clock (`nowMs`), never by a timer per series:
 * - lazily: a lookup that finds an idle series reports it expired, and the
 *   caller removes it (so a returning series is judged as new, exactly);
 * - by the sweep: `sweep(nowMs)` walks every table so that one full pass
 *   takes at most SWEEP_PASS_MS, freeing the budget of series that never
 *   return. Until the sweep reaches it, an idle series still counts, so
 *   budgets free up to SWEEP_PASS_MS late (never early).
 *
 * Times are uint32 seconds since an epoch taken at construction (136 years
 * of range); 0 marks an empty slot, so stored seconds start at 1.
 */
import { SeriesTable } from './series-table.js';

/** Longest time one sweep pass over a table takes. */
export const SWEEP_PASS_MS = 60_000;
/** Default distinct metric names tracked per cluster (more share the overflow id). */
export const DEFAULT_MAX_METRICS_PER_CLUSTER = 20_000;
/** Default distinct clusters tracked; more share OVERFLOW_CLUSTER's table. */
export const DEFAULT_MAX_CLUSTERS = 1_000;
/** Table for clusters past the cap (only anonymous data can name unbounded clusters). */
export const OVERFLOW_CLUSTER = 'unregistered';

export interface ActiveSeriesIndexOptions {
  /** Clock at construction; becomes the epoch. */
  readonly nowMs: number;
  /** Active window of a cluster in ms. */
  readonly windowMsOf: (cluster: string) => number;
  readonly maxMetricsPerCluster?: number | undefined;
  readonly maxClusters?: number | undefined;
  /** Keep label pairs per series for the cardinality API (default true). */
  readonly trackLabels?: boolean | undefined;
  /** Initial slots per cluster table. */
  readonly initialCapacity?: number | undefined;
}

export class ActiveSeriesIndex {
  private readonly _tables = new Map<string, SeriesTable>();
  private readonly _fleetMetricCounts = new Map<string, number>();
  private readonly _epochSec: number;
  private _windowMsOf: (cluster: string) => number;
  private readonly _maxMetrics: number;
  private readonly _maxClusters: number;
  private readonly _isTrackingLabels: boolean;
  private readonly _initialCapacity: number | undefined;
  private _lastSweepMs: number;

  constructor(options: ActiveSeriesIndexOptions) {
    this._epochSec = Math.floor(options.nowMs / 1000) - 1;
    this._windowMsOf = options.windowMsOf;
    this._maxMetrics =
      options.maxMetricsPerCluster ?? DEFAULT_MAX_METRICS_PER_CLUSTER;
    this._maxClusters = options.maxClusters ?? DEFAULT_MAX_CLUSTERS;
    this._isTrackingLabels = options.trackLabels ?? true;
    this._initialCapacity = options.initialCapacity;
    this._lastSweepMs = options.nowMs;
  }

  /** Whether tables keep label pairs (the cardinality API needs them). */
  get isTrackingLabels(): boolean {
    return this._isTrackingLabels;
  }

  /** The index clock in seconds (≥ 1) for `nowMs`. */
  secondsOf(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000) - this._epochSec;
    return sec < 1 ? 1 : sec;
  }

  /** Series last seen before this second (for `nowMs`) are expired in `table`. */
  cutoffOf(table: SeriesTable, nowMs: number): number {
    return this.secondsOf(nowMs) - table.windowSec;
  }

  /** Changes windows (config reload); applies to every table. */
  setWindows(windowMsOf: (cluster: string) => number): void {
    this._windowMsOf = windowMsOf;
    for (const [cluster, table] of this._tables)
      table.windowSec = toWindowSec(windowMsOf(cluster));
  }

  /** The table of `cluster`, or undefined when it has none. */
  get(cluster: string): SeriesTable | undefined {
    return this._tables.get(cluster);
  }

  /**
   * The table of `cluster`, created on first use. Past `maxClusters` tables,
   * unknown clusters share OVERFLOW_CLUSTER's table (returned with its name).
   */
  tableFor(cluster: string): SeriesTable {
    let table = this._tables.get(cluster);
    if (table !== undefined) return table;
    const name =
      this._tables.size >= this._maxClusters ? OVERFLOW_CLUSTER : cluster;
    table = this._tables.get(name);
    if (table !== undefined) return table;
    table = new SeriesTable(toWindowSec(this._windowMsOf(name)), {
      maxMetrics: this._maxMetrics,
      fleetMetricCounts: this._fleetMetricCounts,
      trackLabels: this._isTrackingLabels,
      initialCapacity: this._initialCapacity,
    });
    this._tables.set(name, table);
    return table;
  }

  /** Active series of `metric` over all clusters. */
  fleetMetricCount(metric: string): number {
    return this._fleetMetricCounts.get(metric) ?? 0;
  }

  /** Active series over all clusters. */
  get size(): number {
    let total = 0;
    for (const table of this._tables.values()) total += table.size;
    return total;
  }

  /** Cluster names with a table. */
  clusters(): IterableIterator<string> {
    return this._tables.keys();
  }

  entries(): IterableIterator<[string, SeriesTable]> {
    return this._tables.entries();
  }

  /**
   * Advances the expiry sweep to `nowMs`: scans each table in proportion to
   * the time elapsed, so a full pass takes SWEEP_PASS_MS (or the window, if
   * shorter). Cheap to call often. Returns the series removed.
   */
  sweep(nowMs: number): number {
    const elapsed = nowMs - this._lastSweepMs;
    if (elapsed <= 0) return 0;
    this._lastSweepMs = nowMs;
    const nowSec = this.secondsOf(nowMs);
    let removed = 0;
    for (const table of this._tables.values()) {
      const passMs = Math.max(
        1000,
        Math.min(SWEEP_PASS_MS, table.windowSec * 1000)
      );
      const slots =
        elapsed >= passMs
          ? table.capacity
          : Math.ceil((table.capacity * elapsed) / passMs);
      removed += table.sweep(nowSec - table.windowSec, slots);
    }
    return removed;
  }

  /** Removes tables that have no series left (their clusters went away). */
  dropEmptyTables(): void {
    for (const [cluster, table] of this._tables)
      if (table.size === 0) this._tables.delete(cluster);
  }
}

function toWindowSec(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / 1000));
}
