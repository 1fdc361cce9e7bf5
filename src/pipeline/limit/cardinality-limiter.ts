/**
 * Cardinality budgets that name their offenders (docs/architecture.md; PROTOCOLS.md
 * §2.13 step 4, §2.15, §4 items 1–5).
 *
 * For each live series: hash it once (model/series-hash.ts), look it up in
 * the cluster's active-series table. An active series always passes and is
 * marked seen. A new one is admitted only while
 * - its metric has fewer than `max_series_per_metric` series in its cluster,
 * - its metric has fewer than `max_series_per_metric_fleet` series in the fleet,
 * - its cluster has fewer than `max_series_per_cluster` series
 * (checked in that order; 0 = unlimited). Otherwise it is dropped as a
 * policy drop (STYLE rules 9–10): `DropReason.CARDINALITY`, tallied under
 * `series_limit_metric`, `series_limit_metric_fleet` or
 * `series_limit_cluster` with an explanation naming the budget, the cluster
 * and the metric, and counted for its metric in a top-K of offenders.
 * Unlike vmagent's hourly/daily bloom filters, budgets are over a sliding
 * active window: a series frees its place `active_window` after its last
 * sample (up to one sweep pass later).
 *
 * With a shared store (several replicas), budgets are fleet-wide through
 * SharedBudget (see its header for the bound); `process()` stays
 * synchronous: store traffic runs on the limiter's own timer.
 *
 * The gateway's own metrics never pass through here (they are served on
 * /metrics, not ingested), so a budget can never hide its own drop counter
 * (VictoriaMetrics#1561).
 *
 * Why this file is long: about 550 lines, kept in one file, as process() and the admission path share
 * the per-batch scratch (hashes, memo) that keeps them allocation-free; the
 * queries (cardinality-queries.ts), summaries and shared budget live apart.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { LimitsConfig } from '../../config/index.js';
import {
  DropReason,
  getLabel,
  metricNameOf,
  type SeriesBatch,
} from '../../model/index.js';
import { formatSeriesHash, hashSeries } from '../../model/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Stage, StageContext } from '../stage.js';
import { ActiveSeriesIndex } from './active-series-index.js';
import { SnapshotExchange } from '../../state/snapshot/index.js';
import type { CardinalityStore } from './cardinality-store.js';
import {
  CARDINALITY_SNAPSHOT_CODEC,
  CARDINALITY_SNAPSHOT_KIND,
  summarizeIndex,
  type ClusterSummary,
} from './cardinality-summary.js';
import { ClusterLimits, type EffectiveLimits } from './cluster-limits.js';
import { LimitMetrics, type LimitMetricsSource } from './limit-metrics.js';
import {
  OVERFLOW_METRIC_ID,
  OVERFLOW_METRIC_NAME,
} from './metric-dictionary.js';
import type { SeriesTable } from './series-table.js';
import { SharedBudget, type SharedBudgetStats } from './shared-budget.js';
import { TopOffenders, DEFAULT_TOP_OFFENDERS } from './top-offenders.js';

/** Tally reasons (the `reason` label of `fleetgate_series_dropped_total`). */
export const SERIES_LIMIT_CLUSTER_REASON = 'series_limit_cluster';
export const SERIES_LIMIT_METRIC_REASON = 'series_limit_metric';
export const SERIES_LIMIT_METRIC_FLEET_REASON = 'series_limit_metric_fleet';

/** Background round: sweep, flush published hashes, refresh shared counts. */
export const TICK_INTERVAL_MS = 1000;
/** How often a replica publishes its cardinality snapshot when shared. */
export const SNAPSHOT_INTERVAL_MS = 5000;
/** A snapshot lives this many publish intervals, so a dead replica's data goes away. */
const SNAPSHOT_TTL_INTERVALS = 3;
/** Process() advances the sweep at most this often (the timer covers idle periods). */
const SWEEP_EVERY_MS = 1000;
/** Empty cluster tables are released this often. */
const DROP_EMPTY_TABLES_EVERY_MS = 60_000;
/** Shortest republish period of an active series into the shared sketches. */
const MIN_REPUBLISH_SEC = 30;

export interface CardinalityLimiterOptions {
  /** Shared state; budgets are fleet-wide when `store.isShared`. Absent: local only. */
  readonly store?: CardinalityStore | undefined;
  /** This replica's id in published snapshots (default hostname-pid). */
  readonly replicaId?: string | undefined;
  /** Where the limiter's gauges go (limit-metrics.ts). */
  readonly registry?: Registry | undefined;
  /** Clock in ms (tests inject one). */
  readonly now?: (() => number) | undefined;
  /** Offending metrics tracked per cluster (default 50). */
  readonly topOffenders?: number | undefined;
  readonly maxMetricsPerCluster?: number | undefined;
  readonly maxClusters?: number | undefined;
  /** Keep label pairs per series for the cardinality API (default true). */
  readonly trackLabels?: boolean | undefined;
  readonly tickIntervalMs?: number | undefined;
  readonly snapshotIntervalMs?: number | undefined;
  /** Failures of background store calls (log them); ingestion never waits on them. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** Series budgets per cluster, metric and fleet metric, as a pipeline stage. */
/** Series republished per flush by republishAll (3 hashes each, under MAX_PENDING_HASHES). */
const REPUBLISH_CHUNK_SERIES = 50_000;

export class CardinalityLimiter implements Stage, LimitMetricsSource {
  readonly name = 'cardinality';
  readonly replicaId: string;
  private _limits: ClusterLimits;
  private readonly _index: ActiveSeriesIndex;
  private readonly _offenders: TopOffenders;
  private readonly _shared: SharedBudget | undefined;
  /** Present with a shared store: this replica's summaries out, the peers' in. */
  private readonly _summaries:
    SnapshotExchange<ReadonlyMap<string, ClusterSummary>> | undefined;
  private readonly _now: () => number;
  private readonly _tickIntervalMs: number;
  private readonly _snapshotIntervalMs: number;
  private readonly _onError: ((err: unknown) => void) | undefined;
  // Series hashes of the current batch, [hi, lo] per series; reused across batches (STYLE rule 17).
  private _hashes: Uint32Array = new Uint32Array(0);
  // Stable label array → its 64-bit hash: a known series is hashed once, not per request.
  private readonly _hashMemo = new WeakMap<
    readonly string[],
    { hi: number; lo: number }
  >();
  private _lastSweepMs: number;
  private _lastSnapshotMs = 0;
  private _lastDropEmptyMs: number;
  private _timer: NodeJS.Timeout | undefined;
  private _maintaining: Promise<void> | undefined;

  /**
   * @param limits the `limits` config (budgets, `per_cluster` overrides, `active_window`).
   */
  constructor(limits: LimitsConfig, options: CardinalityLimiterOptions = {}) {
    this._limits = new ClusterLimits(limits);
    this._now = options.now ?? Date.now;
    const nowMs = this._now();
    const maxClusters = options.maxClusters;
    this._index = new ActiveSeriesIndex({
      nowMs,
      windowMsOf: cluster => this._limits.of(cluster).activeWindowMs,
      maxMetricsPerCluster: options.maxMetricsPerCluster,
      maxClusters,
      trackLabels: options.trackLabels,
    });
    this._offenders = new TopOffenders(
      options.topOffenders ?? DEFAULT_TOP_OFFENDERS,
      maxClusters
    );
    this._onError = options.onError;
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}`;
    this._summaries =
      options.store?.isShared === true
        ? new SnapshotExchange({
            transport: options.store,
            kind: CARDINALITY_SNAPSHOT_KIND,
            replicaId: this.replicaId,
            codec: CARDINALITY_SNAPSHOT_CODEC,
            what: 'cardinality',
            // No onError: a snapshot of another gateway version is skipped quietly during a rolling upgrade.
          })
        : undefined;
    this._shared =
      options.store?.isShared === true
        ? new SharedBudget(options.store, {
            now: this._now,
            windowMsOf: cluster => this._limits.of(cluster).activeWindowMs,
            fleetWindowMs: () => this._limits.defaults.activeWindowMs,
            onError: options.onError,
          })
        : undefined;
    this._tickIntervalMs = options.tickIntervalMs ?? TICK_INTERVAL_MS;
    this._snapshotIntervalMs =
      options.snapshotIntervalMs ?? SNAPSHOT_INTERVAL_MS;
    this._lastSweepMs = nowMs;
    this._lastDropEmptyMs = nowMs;
    if (options.registry !== undefined)
      new LimitMetrics(options.registry, this);
  }

  /** The active-series index (read by the cardinality API). */
  get index(): ActiveSeriesIndex {
    return this._index;
  }

  get offenders(): TopOffenders {
    return this._offenders;
  }

  /** The summaries exchanged with other replicas (the API merges them); undefined when not shared. */
  get summaries():
    SnapshotExchange<ReadonlyMap<string, ClusterSummary>> | undefined {
    return this._summaries;
  }

  /** Whether budgets are shared with other replicas. */
  get isShared(): boolean {
    return this._shared !== undefined;
  }

  /** Background publishing counters (undefined when not shared). */
  get sharedStats(): SharedBudgetStats | undefined {
    return this._shared?.stats;
  }

  /** The limits of `cluster`. */
  limitsOf(cluster: string): EffectiveLimits {
    return this._limits.of(cluster);
  }

  /** The fleet-wide default limits. */
  get defaultLimits(): EffectiveLimits {
    return this._limits.defaults;
  }

  /**
   * Series hashes of the batch last processed, `[hi, lo]` at `2·i`; valid
   * for live series until the next `process()` (until SeriesBatch carries them).
   */
  get hashes(): Uint32Array {
    return this._hashes;
  }

  /**
   * Queues every active series for the shared sketches again, in chunks.
   * Called when shared state comes back after an outage: a Redis that
   * restarted empty would otherwise not count this replica's series until
   * each is republished in its own period, and other replicas could admit
   * past the budget meanwhile.
   */
  async republishAll(): Promise<number> {
    const shared = this._shared;
    if (shared === undefined) return 0;
    const nowSec = this._index.secondsOf(this._now());
    let published = 0;
    let inChunk = 0;
    for (const cluster of [...this._index.clusters()]) {
      const table = this._index.get(cluster);
      if (table === undefined) continue;
      const cutoff = nowSec - table.windowSec;
      const slots: number[] = [];
      table.forEachSlot(slot => {
        if (table.seenAt(slot) >= cutoff) slots.push(slot);
      });
      for (const slot of slots) {
        const metricId = table.metricIdAt(slot);
        const metric =
          metricId === OVERFLOW_METRIC_ID
            ? undefined
            : table.metrics.nameOf(metricId);
        shared.publish(
          cluster,
          metric,
          formatSeriesHash(table.hiAt(slot), table.loAt(slot))
        );
        published++;
        // Three sets per series; flushing per chunk keeps the queue under its bound.
        if (++inChunk >= REPUBLISH_CHUNK_SERIES) {
          inChunk = 0;
          await shared.flush();
        }
      }
    }
    await shared.flush();
    return published;
  }

  /** Applies a reloaded config; the active series are kept. */
  reconfigure(limits: LimitsConfig): void {
    this._limits = new ClusterLimits(limits);
    this._index.setWindows(cluster => this._limits.of(cluster).activeWindowMs);
  }

  process(batch: SeriesBatch, context: StageContext): void {
    const nowMs = this._now();
    const index = this._index;
    if (nowMs - this._lastSweepMs >= SWEEP_EVERY_MS) {
      this._lastSweepMs = nowMs;
      index.sweep(nowMs);
    }
    const nowSec = index.secondsOf(nowMs);
    const count = batch.seriesCount;
    // The hashes live in the batch, so the forwarder shards on them without hashing again.
    const hashes = batch.seriesHashes;
    this._hashes = hashes;
    batch.isHashed = true;
    const memo = this._hashMemo;
    const identity = context.identity;
    // With a token every series is the token's cluster (normalize ran first).
    const fixed =
      identity.kind === 'cluster' ? identity.cluster.name : undefined;
    const shared = this._shared;
    let lastCluster: string | undefined;
    let table: SeriesTable | undefined;
    let cutoff = 0;
    let republishSec = 0;
    for (let s = 0; s < count; s++) {
      if (batch.dropped[s] !== 0) continue;
      const labels = batch.labels[s]!;
      if (batch.stable[s] === 1) {
        let known = memo.get(labels);
        if (known === undefined) {
          hashSeries(labels, hashes, 2 * s);
          known = { hi: hashes[2 * s]!, lo: hashes[2 * s + 1]! };
          memo.set(labels, known);
        } else {
          hashes[2 * s] = known.hi;
          hashes[2 * s + 1] = known.lo;
        }
      } else {
        hashSeries(labels, hashes, 2 * s);
      }
      const hi = hashes[2 * s]!;
      const lo = hashes[2 * s + 1]!;
      const cluster =
        fixed ?? getLabel(labels, 'cluster') ?? UNREGISTERED_CLUSTER;
      if (cluster !== lastCluster || table === undefined) {
        table = index.tableFor(cluster);
        cutoff = nowSec - table.windowSec;
        republishSec = Math.max(MIN_REPUBLISH_SEC, table.windowSec >>> 2);
        lastCluster = cluster;
      }
      const slot = table.find(hi, lo);
      if (slot >= 0) {
        const seenSec = table.seenAt(slot);
        if (seenSec >= cutoff) {
          table.touch(slot, nowSec);
          // Once per republish period (phased by hash, so not all at once) the shared sketches hear of it again.
          if (
            shared !== undefined &&
            isRepublishDue(seenSec, nowSec, lo, republishSec)
          ) {
            const metricId = table.metricIdAt(slot);
            const metric =
              metricId === OVERFLOW_METRIC_ID
                ? undefined
                : table.metrics.nameOf(metricId);
            shared.publish(cluster, metric, formatSeriesHash(hi, lo));
          }
          continue;
        }
        // Idle past its window: it comes back as a new series, judged against the budget.
        table.removeAt(slot);
      }
      this._admitOrDrop(
        batch,
        s,
        labels,
        cluster,
        table,
        hi,
        lo,
        nowSec,
        context
      );
    }
  }

  /** Starts the background round (sweep, shared flush/refresh, snapshots); the timer is unref'd. */
  start(): void {
    if (this._timer !== undefined) return;
    this._timer = setInterval(() => {
      void this.maintain();
    }, this._tickIntervalMs);
    this._timer.unref();
  }

  /** Stops the timer and sends what is still queued. */
  async stop(): Promise<void> {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this._maintaining;
    await this._shared?.flush();
  }

  /**
   * One background round: advance the sweep, and when shared flush the
   * queued hashes, refresh shared counts and publish the snapshot if due.
   * Never rejects (failures go to `onError`).
   */
  maintain(): Promise<void> {
    this._maintaining ??= this._maintain().finally(() => {
      this._maintaining = undefined;
    });
    return this._maintaining;
  }

  /** Publishes this replica's cardinality snapshot now (when shared). */
  async publishSnapshot(): Promise<void> {
    const summaries = this._summaries;
    if (summaries === undefined) return;
    const nowMs = this._now();
    this._lastSnapshotMs = nowMs;
    await summaries.publish(
      summarizeIndex(this._index, this._offenders),
      SNAPSHOT_TTL_INTERVALS * this._snapshotIntervalMs,
      nowMs
    );
  }

  forEachActiveSeries(fn: (cluster: string, series: number) => void): void {
    for (const [cluster, table] of this._index.entries())
      fn(cluster, table.size);
  }

  forEachSeriesLimit(
    fn: (cluster: string, limit: string, value: number) => void
  ): void {
    const clusters = new Set<string>(this._index.clusters());
    for (const cluster of this._limits.overriddenClusters())
      clusters.add(cluster);
    for (const cluster of clusters) {
      const limits = this._limits.of(cluster);
      fn(cluster, 'max_series_per_cluster', limits.maxSeriesPerCluster);
      fn(cluster, 'max_series_per_metric', limits.maxSeriesPerMetric);
      fn(
        cluster,
        'max_series_per_metric_fleet',
        limits.maxSeriesPerMetricFleet
      );
    }
  }

  forEachTopOffender(
    fn: (cluster: string, metric: string, dropped: number) => void
  ): void {
    for (const cluster of this._offenders.clusters()) {
      for (const offender of this._offenders.top(cluster))
        fn(cluster, offender.metric, offender.dropped);
    }
  }

  private async _maintain(): Promise<void> {
    try {
      const nowMs = this._now();
      this._lastSweepMs = nowMs;
      this._index.sweep(nowMs);
      if (nowMs - this._lastDropEmptyMs >= DROP_EMPTY_TABLES_EVERY_MS) {
        this._lastDropEmptyMs = nowMs;
        this._index.dropEmptyTables();
      }
      if (this._shared === undefined) return;
      await this._shared.tick();
      if (nowMs - this._lastSnapshotMs >= this._snapshotIntervalMs)
        await this.publishSnapshot();
    } catch (err) {
      // Background work never stops ingestion: report and go on with local counts.
      this._onError?.(err);
    }
  }

  /** A series not active in its cluster: admit it under the budgets, or drop it. */
  private _admitOrDrop(
    batch: SeriesBatch,
    s: number,
    labels: readonly string[],
    cluster: string,
    table: SeriesTable,
    hi: number,
    lo: number,
    nowSec: number,
    context: StageContext
  ): void {
    const limits = this._limits.of(cluster);
    const shared = this._shared;
    const metric = metricNameOf(labels);
    const metricId = table.metrics.lookup(metric);
    // Names past the per-cluster cap share the overflow bucket, and are not published by name.
    const sharedMetric = metricId === OVERFLOW_METRIC_ID ? undefined : metric;
    let reason: string | undefined;
    let count = 0;
    let budget = 0;
    if (limits.maxSeriesPerMetric !== 0) {
      count = table.metrics.countOf(metricId);
      if (shared !== undefined && sharedMetric !== undefined)
        count = shared.metricCount(cluster, metric, count);
      if (count >= limits.maxSeriesPerMetric) {
        reason = SERIES_LIMIT_METRIC_REASON;
        budget = limits.maxSeriesPerMetric;
      }
    }
    if (reason === undefined && limits.maxSeriesPerMetricFleet !== 0) {
      count = this._index.fleetMetricCount(
        sharedMetric ?? OVERFLOW_METRIC_NAME
      );
      if (shared !== undefined && sharedMetric !== undefined)
        count = shared.fleetMetricCount(metric, count);
      if (count >= limits.maxSeriesPerMetricFleet) {
        reason = SERIES_LIMIT_METRIC_FLEET_REASON;
        budget = limits.maxSeriesPerMetricFleet;
      }
    }
    if (reason === undefined && limits.maxSeriesPerCluster !== 0) {
      count = table.size;
      if (shared !== undefined) count = shared.clusterCount(cluster, count);
      if (count >= limits.maxSeriesPerCluster) {
        reason = SERIES_LIMIT_CLUSTER_REASON;
        budget = limits.maxSeriesPerCluster;
      }
    }
    if (reason === undefined) {
      table.insert(hi, lo, nowSec, metric, labels);
      shared?.admit(cluster, sharedMetric, formatSeriesHash(hi, lo));
      return;
    }
    batch.dropped[s] = DropReason.CARDINALITY;
    const tally = context.tally;
    // The explanation is built once per reason and request, not per dropped series.
    if (!tally.reasons.has(reason))
      tally.reasons.set(
        reason,
        explain(reason, cluster, metric, count, budget)
      );
    tally.addDrop(cluster, reason, batch.pointsOf(s));
    this._offenders.offer(cluster, metric);
  }
}

/** Whether a series seen at `seenSec` and again at `nowSec` crossed its (hash-phased) republish boundary. */
function isRepublishDue(
  seenSec: number,
  nowSec: number,
  lo: number,
  periodSec: number
): boolean {
  const phase = lo % periodSec;
  return (
    Math.floor((seenSec + phase) / periodSec) !==
    Math.floor((nowSec + phase) / periodSec)
  );
}

function explain(
  reason: string,
  cluster: string,
  metric: string,
  count: number,
  budget: number
): string {
  const m = JSON.stringify(metric);
  const c = JSON.stringify(cluster);
  switch (reason) {
    case SERIES_LIMIT_METRIC_REASON:
      return `cannot admit new series of metric ${m} in cluster ${c}: the metric has ${count} active series, at its max_series_per_metric budget of ${budget}`;
    case SERIES_LIMIT_METRIC_FLEET_REASON:
      return `cannot admit new series of metric ${m} from cluster ${c}: the fleet has ${count} active series of it, at its max_series_per_metric_fleet budget of ${budget}`;
    default:
      return `cannot admit new series of metric ${m} in cluster ${c}: the cluster has ${count} active series, at its max_series_per_cluster budget of ${budget}`;
  }
}
