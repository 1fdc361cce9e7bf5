/**
 * Global SLOs computed as the data arrives (DESIGN.md; issue 5): a read-only
 * pipeline stage (placed after the cardinality limiter, so it sees exactly
 * what is forwarded) that turns counter samples into event counts per
 * (SLO, cluster) in time buckets (slo-counters.ts), and the queries that
 * turn those into error ratios, burn rates, budgets and alert states
 * (slo-report.ts) for the API and /metrics (slo-metrics.ts).
 *
 * Matching: a series is matched against the SLOs' selectors once. With a
 * stable label array (SeriesBatch.stable) the outcome is memoized in a
 * WeakMap keyed by the array, so a known series costs one lookup per
 * request; other series are first filtered by metric name.
 *
 * Increases, per series (Prometheus' `increase()` rules, without its
 * extrapolation):
 * - a sample not newer than the series' last one (out of order, or a
 *   retried request) is ignored: events are counted once;
 * - value < previous value is a counter reset: the increase is the value;
 *   a start timestamp (OTLP start time, remote write 2 created timestamp)
 *   after the previous sample is a reset too;
 * - the first sample of a series adds nothing (decision; as Prometheus'
 *   `increase()`, which needs two samples), unless its start timestamp says
 *   the counter started after this engine could have seen it (after the
 *   engine's start or restored state, and after any state it forgot), in
 *   which case the whole value is new events. So a cluster that joins late
 *   joins cleanly, OTLP delta sums (made cumulative before the pipeline)
 *   count their first point, and a gateway restart does not count whole
 *   counters again;
 * - NaN (staleness markers), negative and infinite values are skipped;
 * - a series that stops adds nothing; its state is forgotten after
 *   `seriesTtlMs` (series-states.ts). A sample more than `maxGapMs` after
 *   the previous one is treated like a first sample (decision): the
 *   increase across the gap is not counted (unless the start timestamp
 *   shows a restart in the gap). With several replicas a cluster is routed
 *   to one replica at a time (DESIGN.md); when routing moves it away and
 *   back, this keeps the first replica from counting, across its gap, what
 *   the other replica counted. Prometheus' `increase()` does count across
 *   such a gap when both ends are in its range;
 * - events land in the bucket of the sample's timestamp (clamped to now),
 *   so late data from a cluster catching up lands where it belongs.
 *
 * Latency SLIs: good = increases of `<histogram>_bucket{le="<threshold>"}`,
 * total = increases of `<histogram>_count`, both matching the selector (the
 * sums over series equal PromQL's `sum(increase(…_bucket{le="t"}))` and
 * `sum(increase(…_count))`). Native histograms under `<histogram>` (remote
 * write histograms, OTLP exponential histograms) feed both from one sample:
 * good = observations at or below the threshold (native-threshold.ts),
 * total = the count, with the same counter rules; gauge histograms are
 * skipped. A sender that ships both forms of one histogram is counted in
 * both (the ratios hold; event counts double). The bucket bounds seen are
 * kept, and a threshold that is none of them is reported in the SLO's
 * warnings.
 *
 * Sharing (a store with `isShared`): every `publishIntervalMs` the replica
 * publishes the window sums of its own events (slo-snapshot.ts) and every
 * `stateIntervalMs` (and at stop) its bucket rings per SLO. Answers are the
 * sum over every live replica's published window sums, so two replicas
 * give the same answer; a replica whose window sums lapsed (gone) is
 * counted from its last bucket state. `start()` reloads this replica's own
 * bucket state (give replicas a stable `replicaId`). Without a shared
 * store, answers come from local state.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { parseDuration } from '../config/duration.js';
import { InvalidPayloadError } from '../errors.js';
import { getLabel, metricNameOf, type SeriesBatch } from '../model/index.js';
import { formatSeriesHash, hashSeries } from '../model/series-hash.js';
import type { Stage, StageContext } from '../pipeline/index.js';
import {
  FIXED_TIERS,
  retainedWindowMs,
  sloTierResolutionMs,
  SloCounters,
} from './slo-counters.js';
import {
  compileSlo,
  type SloDefinition,
  type SloInput,
  type SloSpec,
} from './slo-definition.js';
import { SloMetrics, type SloEngineStats } from './slo-metrics.js';
import { buildSloReport, type SloReport, type SloSums } from './slo-report.js';
import { matchesSloSelector } from './slo-selector.js';
import {
  decodeStateSnapshot,
  decodeWindowsSnapshot,
  encodeStateSnapshot,
  encodeWindowsSnapshot,
  sloStateSnapshotKind,
  SLO_WINDOWS_SNAPSHOT_KIND,
  type StateSnapshot,
  type WindowsSnapshotSlo,
} from './slo-snapshot.js';
import type { SloSnapshot, SloStore } from './slo-store.js';
import {
  countAtOrBelow,
  observationCount,
  type ThresholdFit,
} from './native-threshold.js';
import {
  NATIVE_CHANNEL,
  SeriesEntry,
  SeriesStates,
  type NativeTargets,
  type NoMatch,
} from './series-states.js';

export const DEFAULT_SLO_TICK_INTERVAL_MS = 1000;
export const DEFAULT_SLO_PUBLISH_INTERVAL_MS = 5000;
export const DEFAULT_SLO_STATE_INTERVAL_MS = 60_000;
export const DEFAULT_SLO_MAX_SERIES = 1_000_000;
export const DEFAULT_SLO_SERIES_TTL_MS = 15 * 60_000;
export const DEFAULT_SLO_MAX_GAP_MS = 10 * 60_000;
export const DEFAULT_SLO_MAX_CLUSTERS = 1000;
/** Clusters past `maxClustersPerSlo` are counted under this name (the fleet figures stay whole). */
export const SLO_OVERFLOW_CLUSTER = '__overflow__';
/** A window-sums snapshot lives this many publish intervals. */
const WINDOWS_TTL_INTERVALS = 3;
/** Bucket state outlives what it can answer by this much. */
const STATE_TTL_SLACK_MS = 3_600_000;
/** Idle series and clusters are swept this often. */
const SWEEP_INTERVAL_MS = 60_000;
/** Distinct `le` values remembered per latency SLO (for the warning). */
const MAX_OBSERVED_LE = 64;
/** Native histogram reset hints (remote write 2.0 `Histogram.ResetHint`). */
const RESET_HINT_YES = 1;
const RESET_HINT_GAUGE = 3;

export interface SloEngineOptions {
  /** Shared state: publish and merge when `store.isShared`, reload own state at start. */
  readonly store?: SloStore | undefined;
  /** This replica's id in published snapshots; keep it stable across restarts (default hostname-pid). */
  readonly replicaId?: string | undefined;
  /** Where the `fleetgate_slo_*` gauges go (slo-metrics.ts). */
  readonly registry?: Registry | undefined;
  /** Clock in ms (tests inject one). */
  readonly now?: (() => number) | undefined;
  /** Background round (sweeps, publishing when due); default 1s. */
  readonly tickIntervalMs?: number | undefined;
  /** Window sums are published this often (shared store; default 5s): answers lag by at most this. */
  readonly publishIntervalMs?: number | undefined;
  /**
   * Bucket state of changed SLOs is published this often (shared store;
   * default 1 min) and at stop: a crash loses at most this much. About
   * 11 KiB per (SLO, cluster) once its buckets are full.
   */
  readonly stateIntervalMs?: number | undefined;
  /** How long a read of the others' published sums is reused (default 1s). */
  readonly readCacheMs?: number | undefined;
  /** /metrics reuses computed figures this long (one scrape reads many gauges; default 1s). */
  readonly metricsCacheMs?: number | undefined;
  /** Counter series whose last value is kept, at most (default 1,000,000, about 200 B each). */
  readonly maxSeries?: number | undefined;
  /** A series not seen for this long is forgotten (default 15m). */
  readonly seriesTtlMs?: number | undefined;
  /** A sample this much newer than its series' previous one counts as a first sample (default 10m). */
  readonly maxGapMs?: number | undefined;
  /** Clusters per SLO, at most; the rest share SLO_OVERFLOW_CLUSTER (default 1000). */
  readonly maxClustersPerSlo?: number | undefined;
  /** Failures of background store work (log them); ingestion never waits on them. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** Query of the API (raw parameters). */
export interface SloQuery {
  readonly cluster?: string | undefined;
  /** A duration among the SLO's windows, e.g. "1h". */
  readonly window?: string | undefined;
}

/** What the API routes need (the engine implements it). */
export interface SloQueries {
  reports(query?: SloQuery): Promise<SloReport[]>;
  /** Undefined when no SLO has that name. */
  report(name: string, query?: SloQuery): Promise<SloReport | undefined>;
}

/** Per-SLO mutable state. */
class SloRuntime {
  readonly def: SloDefinition;
  counters = new Map<string, SloCounters>();
  /** `le` values seen on matching bucket series, as formatLe renders them. */
  observedLe = new Set<string>();
  hasTotal = false;

  constructor(def: SloDefinition) {
    this.def = def;
  }
}

interface InputRef {
  readonly slo: SloRuntime;
  readonly input: SloInput;
}

/** Another replica counted from its bucket state (its window sums lapsed). */
interface OrphanState {
  readonly publishedAtMs: Map<string, number>;
  /** SLO name → stateKey and cluster counters. */
  readonly slos: Map<
    string,
    { stateKey: string; counters: Map<string, SloCounters> }
  >;
}

interface DecodedWindows {
  readonly replicaId: string;
  readonly publishedAtMs: number;
  readonly slos: ReadonlyMap<string, WindowsSnapshotSlo>;
}

const EMPTY_REFS: readonly InputRef[] = Object.freeze([]);

/** The SLO engine: a read-only Stage plus the queries over its state. */
export class SloEngine implements Stage, SloQueries {
  readonly name = 'slo';
  readonly replicaId: string;
  private _slos: SloRuntime[] = [];
  private _byName = new Map<string, SloRuntime>();
  private _byMetric = new Map<string, InputRef[]>();
  private _anyMetric: InputRef[] = [];
  /** Bumped whenever memoized targets may be stale (reconfigure, a cluster's counters dropped). */
  private _generation = 0;
  private _noMatch: NoMatch = {
    matched: false,
    generation: 0,
    isEvicted: false,
  };
  // Stable label array → its tracked entry (or NoMatch): a known series costs one lookup.
  private readonly _memo = new WeakMap<
    readonly string[],
    SeriesEntry | NoMatch
  >();
  private readonly _series: SeriesStates;
  private readonly _hashScratch = new Uint32Array(2);
  /** Scratch of `_ingestNative` (no allocation per histogram). */
  private readonly _thresholdFit: ThresholdFit = {
    isExact: false,
    lower: 0,
    upper: 0,
  };
  private readonly _nativeGoods: number[] = [];
  private readonly _store: SloStore | undefined;
  private readonly _isShared: boolean;
  private readonly _clock: () => number;
  private _lastNowMs = Number.NEGATIVE_INFINITY;
  private readonly _maxClusters: number;
  private readonly _maxGapMs: number;
  private readonly _tickIntervalMs: number;
  private readonly _publishIntervalMs: number;
  private readonly _stateIntervalMs: number;
  private readonly _readCacheMs: number;
  private readonly _metricsCacheMs: number;
  private readonly _onError: ((err: unknown) => void) | undefined;
  private _timer: NodeJS.Timeout | undefined;
  private _maintaining: Promise<void> | undefined;
  private _lastPublishMs = Number.NEGATIVE_INFINITY;
  private _lastStatePublishMs: number;
  private _lastSweepMs: number;
  private _windowsRead:
    { atMs: number; replicas: DecodedWindows[] } | undefined;
  private readonly _decoded = new Map<string, DecodedWindows>();
  private _orphans = new Map<string, OrphanState>();
  /** Replica ids seen publishing window sums; one that vanishes triggers an orphan load. */
  private readonly _knownReplicas = new Set<string>();
  private _isOrphanLoadDue = false;
  private _metricsView:
    { atMs: number; reports: Promise<SloReport[]> } | undefined;
  private _ignoredOutOfOrder = 0;
  private _ignoredUntracked = 0;
  private _matchRuns = 0;

  /**
   * @throws SloSpecError when a spec does not compile (config validation
   *   reports the same problems earlier, with their paths).
   */
  constructor(specs: readonly SloSpec[], options: SloEngineOptions = {}) {
    this._clock = options.now ?? Date.now;
    this._store = options.store;
    this._isShared = options.store?.isShared === true;
    this.replicaId = options.replicaId ?? `${hostname()}-${process.pid}`;
    this._maxClusters = options.maxClustersPerSlo ?? DEFAULT_SLO_MAX_CLUSTERS;
    this._maxGapMs = options.maxGapMs ?? DEFAULT_SLO_MAX_GAP_MS;
    this._tickIntervalMs =
      options.tickIntervalMs ?? DEFAULT_SLO_TICK_INTERVAL_MS;
    this._publishIntervalMs =
      options.publishIntervalMs ?? DEFAULT_SLO_PUBLISH_INTERVAL_MS;
    this._stateIntervalMs =
      options.stateIntervalMs ?? DEFAULT_SLO_STATE_INTERVAL_MS;
    this._readCacheMs = options.readCacheMs ?? 1000;
    this._metricsCacheMs = options.metricsCacheMs ?? 1000;
    this._onError = options.onError;
    const nowMs = this._now();
    this._lastStatePublishMs = nowMs;
    this._lastSweepMs = nowMs;
    this._series = new SeriesStates(
      options.maxSeries ?? DEFAULT_SLO_MAX_SERIES,
      options.seriesTtlMs ?? DEFAULT_SLO_SERIES_TTL_MS,
      nowMs
    );
    this.reconfigure(specs);
    if (options.registry !== undefined) new SloMetrics(options.registry, this);
  }

  /** Compiled SLOs, in config order. */
  get definitions(): readonly SloDefinition[] {
    return this._slos.map(s => s.def);
  }

  /**
   * Replaces the SLO set (config reload). An SLO whose name, SLI and window
   * are unchanged keeps its counts; others start empty.
   *
   * @throws SloSpecError (and keeps the previous set) when a spec is invalid.
   */
  reconfigure(specs: readonly SloSpec[]): void {
    const defs = specs.map(compileSlo);
    const next: SloRuntime[] = [];
    for (const def of defs) {
      const runtime = new SloRuntime(def);
      const previous = this._byName.get(def.name);
      if (previous !== undefined && previous.def.stateKey === def.stateKey) {
        runtime.counters = previous.counters;
        runtime.observedLe = previous.observedLe;
        runtime.hasTotal = previous.hasTotal;
      }
      next.push(runtime);
    }
    this._slos = next;
    this._byName = new Map(next.map(s => [s.def.name, s]));
    const byMetric = new Map<string, InputRef[]>();
    const any: InputRef[] = [];
    for (const slo of next) {
      for (const input of slo.def.inputs) {
        const name = input.selector.metricName;
        if (name === undefined) any.push({ slo, input });
        else {
          let refs = byMetric.get(name);
          if (refs === undefined) byMetric.set(name, (refs = []));
          refs.push({ slo, input });
        }
      }
    }
    this._byMetric = byMetric;
    this._anyMetric = any;
    this._bumpGeneration();
    this._windowsRead = undefined;
    this._metricsView = undefined;
  }

  /** Observes the batch; never mutates it (the stage is a read-only tap). */
  process(batch: SeriesBatch, context: StageContext): void {
    if (this._slos.length === 0) return;
    const nowMs = this._now();
    const memo = this._memo;
    const generation = this._generation;
    const count = batch.seriesCount;
    const starts = batch.sampleStart;
    const histogramStarts = batch.histogramStart;
    for (let s = 0; s < count; s++) {
      if (batch.dropped[s] !== 0) continue;
      const from = starts[s]!;
      const to = starts[s + 1]!;
      const hFrom = histogramStarts[s]!;
      const hTo = histogramStarts[s + 1]!;
      if (from === to && hFrom === hTo) continue;
      const labels = batch.labels[s]!;
      let entry: SeriesEntry | NoMatch | undefined;
      if (batch.stable[s] === 1) {
        entry = memo.get(labels);
        if (
          entry === undefined ||
          entry.generation !== generation ||
          entry.isEvicted
        ) {
          entry = this._resolve(labels, entry, batch, s, context, nowMs);
          if (entry !== undefined) memo.set(labels, entry);
        }
      } else if (this._mayMatch(labels)) {
        entry = this._resolve(labels, undefined, batch, s, context, nowMs);
      }
      if (entry === undefined || !entry.matched) continue;
      if (from < to) this._ingest(entry, batch, from, to, nowMs);
      if (hFrom < hTo && entry.native !== undefined)
        this._ingestNative(entry, batch, hFrom, hTo, nowMs);
    }
  }

  /** Starts the background timer after reloading this replica's state (shared store only). */
  async start(): Promise<void> {
    if (this._isShared) {
      try {
        await this._loadStates(this._now(), true);
        await this.publish();
      } catch (err) {
        this._onError?.(err);
      }
    }
    if (this._timer !== undefined) return;
    this._timer = setInterval(() => {
      void this.maintain();
    }, this._tickIntervalMs);
    this._timer.unref();
  }

  /** Stops the timer and publishes the final window sums and bucket state (shared store). */
  async stop(): Promise<void> {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this._maintaining;
    if (!this._isShared) return;
    try {
      await this.publish();
      await this.publishState(true);
    } catch (err) {
      this._onError?.(err);
    }
  }

  /**
   * One background round: sweep idle series and clusters; when shared,
   * publish what is due and load gone replicas' state. Never rejects.
   */
  maintain(): Promise<void> {
    this._maintaining ??= this._maintain().finally(() => {
      this._maintaining = undefined;
    });
    return this._maintaining;
  }

  /** Publishes this replica's window sums now (shared store only). */
  async publish(): Promise<void> {
    const store = this._store;
    if (store === undefined || !this._isShared) return;
    const nowMs = this._now();
    this._lastPublishMs = nowMs;
    const slos: WindowsSnapshotSlo[] = this._localSums(nowMs, undefined).map(
      (sums, i) => {
        const slo = this._slos[i]!;
        return {
          name: slo.def.name,
          fingerprint: slo.def.fingerprint,
          le: [...slo.observedLe],
          hasTotal: slo.hasTotal,
          clusters: sums.clusters,
        };
      }
    );
    await store.publishSnapshot(
      SLO_WINDOWS_SNAPSHOT_KIND,
      this.replicaId,
      encodeWindowsSnapshot(slos),
      WINDOWS_TTL_INTERVALS * this._publishIntervalMs,
      nowMs
    );
    this._windowsRead = undefined;
  }

  /** Publishes this replica's bucket state of every SLO that changed (all with `force`). */
  async publishState(force = false): Promise<void> {
    const store = this._store;
    if (store === undefined || !this._isShared) return;
    const nowMs = this._now();
    this._lastStatePublishMs = nowMs;
    for (const slo of this._slos) {
      let isDirty = force;
      for (const counters of slo.counters.values()) {
        isDirty ||= counters.isDirty;
        counters.isDirty = false;
      }
      if (!isDirty) continue;
      const clusters = new Map<
        string,
        ReturnType<SloCounters['exportTiers']>
      >();
      for (const [cluster, counters] of slo.counters)
        clusters.set(cluster, counters.exportTiers());
      const payload = encodeStateSnapshot({
        stateKey: slo.def.stateKey,
        clusters,
      });
      await store.publishSnapshot(
        sloStateSnapshotKind(slo.def.name),
        this.replicaId,
        payload,
        retainedWindowMs(slo.def.windowMs) + STATE_TTL_SLACK_MS,
        nowMs
      );
    }
  }

  /**
   * Every SLO's report, in config order (GET /api/v1/slos). With `window`,
   * an SLO that does not report that window shows no windows.
   *
   * @throws InvalidPayloadError when `window` is not a duration.
   */
  async reports(query: SloQuery = {}): Promise<SloReport[]> {
    const windowMs = parseWindowParam(query.window);
    const sums = await this._sums(this._now(), undefined);
    return sums.map(s =>
      buildSloReport(s, {
        cluster: emptyToUndefined(query.cluster),
        windowIndex:
          windowMs === undefined ? undefined : s.def.windowIndex(windowMs),
      })
    );
  }

  /**
   * One SLO's report (GET /api/v1/slos/{name}); undefined for an unknown name.
   *
   * @throws InvalidPayloadError when `window` is not one of its windows.
   */
  async report(
    name: string,
    query: SloQuery = {}
  ): Promise<SloReport | undefined> {
    const slo = this._byName.get(name);
    if (slo === undefined) return undefined;
    const windowMs = parseWindowParam(query.window);
    const windowIndex =
      windowMs === undefined ? undefined : slo.def.windowIndex(windowMs);
    if (windowIndex === -1) {
      throw new InvalidPayloadError(
        `cannot use 'window' param ${JSON.stringify(query.window)}: SLO ${JSON.stringify(name)} reports ${slo.def.windowNames.join(', ')}`
      );
    }
    const [sums] = await this._sums(this._now(), slo);
    return buildSloReport(sums!, {
      cluster: emptyToUndefined(query.cluster),
      windowIndex,
    });
  }

  /** Every SLO's report for /metrics, computed at most once per `metricsCacheMs`. */
  metricsReports(): Promise<SloReport[]> {
    const nowMs = this._now();
    const view = this._metricsView;
    if (view !== undefined && nowMs - view.atMs < this._metricsCacheMs)
      return view.reports;
    const reports = this.reports();
    this._metricsView = { atMs: nowMs, reports };
    // A failed computation is not cached.
    reports.catch(() => {
      if (this._metricsView?.reports === reports) this._metricsView = undefined;
    });
    return reports;
  }

  /** Counters of the engine's own health (for /metrics). */
  stats(): SloEngineStats {
    let stateBytes = 0;
    let counters = 0;
    for (const slo of this._slos) {
      for (const c of slo.counters.values()) {
        stateBytes += c.stateBytes;
        counters++;
      }
    }
    return {
      trackedSeries: this._series.size,
      counters,
      stateBytes,
      evictedSeries: this._series.evicted,
      ignoredOutOfOrder: this._ignoredOutOfOrder,
      ignoredUntracked: this._ignoredUntracked,
      matchRuns: this._matchRuns,
    };
  }

  // ---- ingest ----

  /** Per-sample loop of one tracked series (see the header for the rules). */
  private _ingest(
    entry: SeriesEntry,
    batch: SeriesBatch,
    from: number,
    to: number,
    nowMs: number
  ): void {
    const values = batch.values;
    const times = batch.timestamps;
    const startTimes = batch.startTimestamps;
    const horizonMs = this._series.horizonMs;
    const maxGapMs = this._maxGapMs;
    const counters = entry.counters;
    const channels = entry.channels;
    const targets = counters.length;
    let last = entry.lastValue;
    let lastTs = entry.lastTs;
    let added = false;
    for (let i = from; i < to; i++) {
      const value = values[i]!;
      const t = times[i]!;
      // NaN (staleness markers), negative and infinite values are not counter values.
      if (!(value >= 0 && value < Infinity)) continue;
      if (t <= lastTs) {
        this._ignoredOutOfOrder++;
        continue;
      }
      const start = startTimes[i]!;
      let inc: number;
      if (t - lastTs > maxGapMs) {
        // A first sample (lastTs is −Infinity), or one after a long gap: only a counter started since counts.
        const since = lastTs > horizonMs ? lastTs : horizonMs;
        inc = start > since && start <= t ? value : 0;
      } else if (value < last || start > lastTs) inc = value;
      else inc = value - last;
      last = value;
      lastTs = t;
      if (inc > 0) {
        const at = t < nowMs ? t : nowMs;
        for (let k = 0; k < targets; k++) {
          const channel = channels[k]!;
          // A float series under a native histogram's name feeds nothing.
          if (channel !== NATIVE_CHANNEL)
            counters[k]!.add(at, channel as 0 | 1, inc);
        }
        added = true;
      }
    }
    entry.lastValue = last;
    entry.lastTs = lastTs;
    entry.seenMs = nowMs;
    if (added) {
      for (let k = 0; k < targets; k++) {
        const c = counters[k]!;
        c.lastEventMs = nowMs;
        c.isDirty = true;
      }
    }
  }

  /**
   * Per-histogram loop of a native-histogram series: the count feeds the
   * total, the observations at or below each target's threshold feed A,
   * with the counter rules of `_ingest` (a drop of either, a reset hint or
   * a later start timestamp is a reset). Gauge histograms are not counters
   * and are skipped.
   */
  private _ingestNative(
    entry: SeriesEntry,
    batch: SeriesBatch,
    from: number,
    to: number,
    nowMs: number
  ): void {
    const native = entry.native!;
    const histograms = batch.histograms;
    const counters = entry.counters;
    const channels = entry.channels;
    const horizonMs = this._series.horizonMs;
    const fit = this._thresholdFit;
    const goods = this._nativeGoods;
    const targets = native.thresholds.length;
    let added = false;
    for (let i = from; i < to; i++) {
      const h = histograms[i]!;
      if (h.resetHint === RESET_HINT_GAUGE) continue;
      const total = observationCount(h);
      if (!(total >= 0 && total < Infinity)) continue;
      const t = h.timestampMs;
      const lastTs = entry.lastTs;
      if (t <= lastTs) {
        this._ignoredOutOfOrder++;
        continue;
      }
      let isReset = total < entry.lastValue || h.resetHint === RESET_HINT_YES;
      for (let j = 0; j < targets; j++) {
        const good = countAtOrBelow(h, native.thresholds[j]!, fit);
        goods[j] = good;
        if (good < native.lastGood[j]!) isReset = true;
        const seen = native.observedLe[j]!;
        if (fit.isExact) seen.add(native.thresholdTexts[j]!);
        else if (seen.size < MAX_OBSERVED_LE) {
          // The bounds around the threshold, for the SLO's warning.
          seen.add(formatLe(fit.lower));
          seen.add(formatLe(fit.upper));
        }
      }
      const start = h.startTimestampMs;
      // 0: nothing countable (first sample or after a gap, no restart since);
      // 1: the whole values are new; 2: the increases since the last one.
      let mode: 0 | 1 | 2;
      if (t - lastTs > this._maxGapMs) {
        const since = lastTs > horizonMs ? lastTs : horizonMs;
        mode = start > since && start <= t ? 1 : 0;
      } else mode = isReset || start > lastTs ? 1 : 2;
      const at = t < nowMs ? t : nowMs;
      for (let k = 0, j = 0; k < counters.length; k++) {
        if (channels[k] !== NATIVE_CHANNEL) continue;
        const good = goods[j]!;
        if (mode !== 0) {
          const totalInc = mode === 1 ? total : total - entry.lastValue;
          const goodInc = mode === 1 ? good : good - native.lastGood[j]!;
          if (goodInc > 0) counters[k]!.add(at, 0, goodInc);
          if (totalInc > 0) counters[k]!.add(at, 1, totalInc);
          if (goodInc > 0 || totalInc > 0) added = true;
        }
        native.lastGood[j] = good;
        j++;
      }
      entry.lastValue = total;
      entry.lastTs = t;
    }
    entry.seenMs = nowMs;
    if (added) {
      for (let k = 0; k < counters.length; k++) {
        if (channels[k] !== NATIVE_CHANNEL) continue;
        counters[k]!.lastEventMs = nowMs;
        counters[k]!.isDirty = true;
      }
    }
  }

  /** Could an unstable series match any selector? (a cheap metric-name filter) */
  private _mayMatch(labels: readonly string[]): boolean {
    if (this._anyMetric.length > 0) return true;
    return this._byMetric.has(metricNameOf(labels));
  }

  /**
   * Finds (or creates) the tracked entry of a series, matching it against
   * every candidate selector unless an entry of this generation exists.
   * Undefined when it matches but cannot be tracked (the table is full):
   * not memoized, so it is tried again later.
   */
  private _resolve(
    labels: readonly string[],
    previous: SeriesEntry | NoMatch | undefined,
    batch: SeriesBatch,
    s: number,
    context: StageContext,
    nowMs: number
  ): SeriesEntry | NoMatch | undefined {
    const generation = this._generation;
    // Unstable arrays: one hash, then the entry of an earlier request skips matching.
    let key =
      previous?.matched === true
        ? previous.key
        : batch.stable[s] === 0
          ? this._keyOf(labels, batch, s)
          : undefined;
    let entry = key === undefined ? undefined : this._series.get(key);
    if (entry !== undefined && entry.generation === generation) return entry;
    const identity = context.identity;
    const cluster =
      getLabel(labels, 'cluster') ??
      (identity.kind === 'cluster' ? identity.cluster.name : 'unregistered');
    const counters: SloCounters[] = [];
    const channels: number[] = [];
    const natives: SloRuntime[] = [];
    this._matchRuns++;
    this._matchInto(
      labels,
      cluster,
      nowMs,
      this._byMetric.get(metricNameOf(labels)) ?? EMPTY_REFS,
      counters,
      channels,
      natives
    );
    this._matchInto(
      labels,
      cluster,
      nowMs,
      this._anyMetric,
      counters,
      channels,
      natives
    );
    if (counters.length === 0) return this._noMatch;
    if (key === undefined) {
      key = this._keyOf(labels, batch, s);
      entry = this._series.get(key);
    }
    if (entry === undefined) {
      entry =
        previous?.matched === true
          ? previous
          : new SeriesEntry(key, generation, counters, channels);
      if (!this._series.add(entry, nowMs)) {
        this._ignoredUntracked++;
        return undefined;
      }
    }
    entry.generation = generation;
    entry.counters = counters;
    entry.channels = channels;
    entry.native = nativeTargetsOf(natives, entry.native);
    return entry;
  }

  /** The series' identity: its 64-bit hash (the cardinality stage's when it ran). */
  private _keyOf(
    labels: readonly string[],
    batch: SeriesBatch,
    s: number
  ): string {
    if (batch.isHashed)
      return formatSeriesHash(
        batch.seriesHashes[2 * s]!,
        batch.seriesHashes[2 * s + 1]!
      );
    hashSeries(labels, this._hashScratch, 0);
    return formatSeriesHash(this._hashScratch[0]!, this._hashScratch[1]!);
  }

  private _matchInto(
    labels: readonly string[],
    cluster: string,
    nowMs: number,
    refs: readonly InputRef[],
    counters: SloCounters[],
    channels: number[],
    natives: SloRuntime[]
  ): void {
    for (let r = 0; r < refs.length; r++) {
      const { slo, input } = refs[r]!;
      if (!matchesSloSelector(input.selector, labels)) continue;
      if (input.kind === 'native') {
        slo.hasTotal = true;
        counters.push(this._countersFor(slo, cluster, nowMs));
        channels.push(NATIVE_CHANNEL);
        natives.push(slo);
        continue;
      }
      if (input.kind === 'bucket') {
        const le = parseLe(getLabel(labels, 'le'));
        if (Number.isNaN(le)) continue;
        if (slo.observedLe.size < MAX_OBSERVED_LE)
          slo.observedLe.add(formatLe(le));
        if (le !== slo.def.threshold) continue;
      } else if (input.channel === 1) slo.hasTotal = true;
      counters.push(this._countersFor(slo, cluster, nowMs));
      channels.push(input.channel);
    }
  }

  private _countersFor(
    slo: SloRuntime,
    cluster: string,
    nowMs: number
  ): SloCounters {
    let counters = slo.counters.get(cluster);
    if (counters !== undefined) return counters;
    if (slo.counters.size >= this._maxClusters) {
      cluster = SLO_OVERFLOW_CLUSTER;
      counters = slo.counters.get(cluster);
      if (counters !== undefined) return counters;
    }
    counters = new SloCounters(slo.def.windowMs);
    // Counts as activity, so a cluster whose series match but carry no events yet is not swept at once.
    counters.lastEventMs = nowMs;
    slo.counters.set(cluster, counters);
    return counters;
  }

  // ---- answers ----

  private async _sums(
    nowMs: number,
    only: SloRuntime | undefined
  ): Promise<SloSums[]> {
    if (!this._isShared) return this._localSums(nowMs, only);
    return this._sharedSums(nowMs, only);
  }

  /** Window sums of this replica's own counters. */
  private _localSums(nowMs: number, only: SloRuntime | undefined): SloSums[] {
    const out: SloSums[] = [];
    for (const slo of only === undefined ? this._slos : [only]) {
      const def = slo.def;
      const clusters = new Map<string, Float64Array>();
      for (const [cluster, counters] of slo.counters) {
        clusters.set(cluster, windowSumsOf(def, counters, nowMs));
      }
      out.push({
        def,
        clusters,
        warnings: warningsOf(def, slo.observedLe, slo.hasTotal, []),
      });
    }
    return out;
  }

  /** Sum of every live replica's published window sums, plus gone replicas' bucket state. */
  private async _sharedSums(
    nowMs: number,
    only: SloRuntime | undefined
  ): Promise<SloSums[]> {
    const replicas = await this._readWindows(nowMs);
    const live = new Set(replicas.map(r => r.replicaId));
    const orphans = [...this._orphans]
      .filter(([id]) => !live.has(id) && id !== this.replicaId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: SloSums[] = [];
    for (const slo of only === undefined ? this._slos : [only]) {
      const def = slo.def;
      const width = 2 * def.windowsMs.length;
      const clusters = new Map<string, Float64Array>();
      const le = new Set<string>();
      let hasTotal = false;
      const mismatched: string[] = [];
      const sumsOf = (cluster: string): Float64Array => {
        let sums = clusters.get(cluster);
        if (sums === undefined)
          clusters.set(cluster, (sums = new Float64Array(width)));
        return sums;
      };
      for (const replica of replicas) {
        const entry = replica.slos.get(def.name);
        if (entry === undefined) continue;
        if (entry.fingerprint !== def.fingerprint) {
          mismatched.push(replica.replicaId);
          continue;
        }
        for (const [cluster, values] of entry.clusters) {
          if (values.length !== width) continue;
          const sums = sumsOf(cluster);
          for (let i = 0; i < width; i++) sums[i]! += values[i]!;
        }
        for (const v of entry.le) le.add(v);
        hasTotal ||= entry.hasTotal;
      }
      for (const [, orphan] of orphans) {
        const state = orphan.slos.get(def.name);
        if (state === undefined || state.stateKey !== def.stateKey) continue;
        for (const [cluster, counters] of state.counters) {
          counters.addWindowsTo(def.windowsMs, nowMs, sumsOf(cluster), 0);
        }
      }
      const extra = mismatched.map(
        id =>
          `replica ${JSON.stringify(id)} runs a different definition of this SLO; its events are left out until the configs agree`
      );
      out.push({
        def,
        clusters: sortedMap(clusters),
        warnings: warningsOf(def, le, hasTotal, extra),
      });
    }
    return out;
  }

  /** Every live replica's decoded window sums (cached `readCacheMs`; own publish invalidates). */
  private async _readWindows(nowMs: number): Promise<DecodedWindows[]> {
    const cached = this._windowsRead;
    if (
      cached !== undefined &&
      nowMs - cached.atMs < this._readCacheMs &&
      nowMs >= cached.atMs
    )
      return cached.replicas;
    const snapshots = await this._store!.readSnapshots(
      SLO_WINDOWS_SNAPSHOT_KIND,
      nowMs
    );
    const replicas: DecodedWindows[] = [];
    const seen = new Set<string>();
    for (const snapshot of snapshots) {
      const decoded = this._decodeWindows(snapshot);
      if (decoded === undefined) continue;
      replicas.push(decoded);
      seen.add(snapshot.replicaId);
    }
    for (const id of this._decoded.keys())
      if (!seen.has(id)) this._decoded.delete(id);
    for (const id of this._knownReplicas) {
      if (!seen.has(id) && id !== this.replicaId && !this._orphans.has(id))
        this._isOrphanLoadDue = true;
    }
    for (const id of seen) this._knownReplicas.add(id);
    this._windowsRead = { atMs: nowMs, replicas };
    return replicas;
  }

  private _decodeWindows(snapshot: SloSnapshot): DecodedWindows | undefined {
    const cached = this._decoded.get(snapshot.replicaId);
    if (cached !== undefined && cached.publishedAtMs === snapshot.publishedAtMs)
      return cached;
    try {
      const slos = new Map(
        decodeWindowsSnapshot(snapshot.payload).map(s => [s.name, s])
      );
      const decoded = {
        replicaId: snapshot.replicaId,
        publishedAtMs: snapshot.publishedAtMs,
        slos,
      };
      this._decoded.set(snapshot.replicaId, decoded);
      return decoded;
    } catch (err) {
      this._onError?.(
        new Error(
          `cannot read SLO window sums of replica ${snapshot.replicaId}`,
          { cause: err }
        )
      );
      return undefined;
    }
  }

  // ---- background ----

  private async _maintain(): Promise<void> {
    try {
      const nowMs = this._now();
      if (nowMs - this._lastSweepMs >= SWEEP_INTERVAL_MS) {
        this._lastSweepMs = nowMs;
        this._sweep(nowMs);
      }
      if (!this._isShared) return;
      if (nowMs - this._lastStatePublishMs >= this._stateIntervalMs)
        await this.publishState();
      if (nowMs - this._lastPublishMs < this._publishIntervalMs) return;
      await this.publish();
      // Notices replicas that stopped publishing (see _readWindows).
      await this._readWindows(nowMs);
      if (this._isOrphanLoadDue) {
        this._isOrphanLoadDue = false;
        await this._loadStates(nowMs, false);
      }
    } catch (err) {
      // Background work never stops ingestion: report and go on with local state.
      this._onError?.(err);
    }
  }

  /** Forgets idle series, and clusters with no event in anything the SLO keeps. */
  private _sweep(nowMs: number): void {
    this._series.sweep(nowMs);
    let dropped = false;
    for (const slo of this._slos) {
      const keptMs = retainedWindowMs(slo.def.windowMs);
      for (const [cluster, counters] of slo.counters) {
        if (counters.lastEventMs < nowMs - keptMs) {
          slo.counters.delete(cluster);
          dropped = true;
        }
      }
    }
    for (const [id, orphan] of this._orphans) {
      for (const [name, at] of orphan.publishedAtMs) {
        const slo = this._byName.get(name);
        if (
          slo === undefined ||
          at < nowMs - retainedWindowMs(slo.def.windowMs)
        ) {
          orphan.slos.delete(name);
          orphan.publishedAtMs.delete(name);
        }
      }
      if (orphan.slos.size === 0) this._orphans.delete(id);
    }
    // Memoized entries point at the dropped counters: resolve them again.
    if (dropped) this._bumpGeneration();
  }

  /**
   * Reads every SLO's bucket state: with `restoreOwn`, this replica's own is
   * merged into its counters (restart); other replicas without live window
   * sums become orphans, counted from their state.
   */
  private async _loadStates(nowMs: number, restoreOwn: boolean): Promise<void> {
    const store = this._store!;
    this._windowsRead = undefined;
    const live = new Set(
      (await this._readWindows(nowMs)).map(r => r.replicaId)
    );
    const orphans = new Map<string, OrphanState>();
    let restoredUntilMs = Number.POSITIVE_INFINITY;
    for (const slo of this._slos) {
      const def = slo.def;
      const resolutions = [
        ...FIXED_TIERS.map(t => t.resMs),
        sloTierResolutionMs(def.windowMs),
      ];
      for (const snapshot of await store.readSnapshots(
        sloStateSnapshotKind(def.name),
        nowMs
      )) {
        const isOwn = snapshot.replicaId === this.replicaId;
        if (isOwn ? !restoreOwn : live.has(snapshot.replicaId)) continue;
        let state: StateSnapshot;
        try {
          state = decodeStateSnapshot(snapshot.payload, resolutions);
        } catch (err) {
          this._onError?.(
            new Error(
              `cannot read SLO state of ${def.name} from replica ${snapshot.replicaId}`,
              { cause: err }
            )
          );
          continue;
        }
        if (state.stateKey !== def.stateKey) continue;
        const counters = new Map<string, SloCounters>();
        for (const [cluster, tiers] of state.clusters) {
          const target = isOwn
            ? this._countersFor(slo, cluster, nowMs)
            : new SloCounters(def.windowMs);
          try {
            target.mergeTiers(tiers);
          } catch (err) {
            this._onError?.(err);
            continue;
          }
          counters.set(cluster, target);
        }
        if (isOwn) {
          restoredUntilMs = Math.min(restoredUntilMs, snapshot.publishedAtMs);
          continue;
        }
        let orphan = orphans.get(snapshot.replicaId);
        if (orphan === undefined) {
          orphan = { publishedAtMs: new Map(), slos: new Map() };
          orphans.set(snapshot.replicaId, orphan);
        }
        orphan.slos.set(def.name, { stateKey: def.stateKey, counters });
        orphan.publishedAtMs.set(def.name, snapshot.publishedAtMs);
      }
    }
    this._orphans = orphans;
    for (const id of orphans.keys()) this._knownReplicas.add(id);
    // Series born after the restored state was written were never counted: their first value is new events.
    if (
      restoredUntilMs !== Number.POSITIVE_INFINITY &&
      restoredUntilMs < this._series.horizonMs
    ) {
      this._series.horizonMs = restoredUntilMs;
    }
    if (restoreOwn) this._bumpGeneration();
  }

  private _bumpGeneration(): void {
    this._generation++;
    this._noMatch = {
      matched: false,
      generation: this._generation,
      isEvicted: false,
    };
  }

  /** The injected clock, never going backwards. */
  private _now(): number {
    const now = this._clock();
    if (now > this._lastNowMs) this._lastNowMs = now;
    return this._lastNowMs;
  }
}

/** `[A, T]` per window of one cluster's counters. */
function windowSumsOf(
  def: SloDefinition,
  counters: SloCounters,
  nowMs: number
): Float64Array {
  const sums = new Float64Array(2 * def.windowsMs.length);
  counters.addWindowsTo(def.windowsMs, nowMs, sums, 0);
  return sums;
}

/**
 * The native-histogram targets of a series, keeping the last good counts
 * of a previous resolution whose thresholds are unchanged (a reload that
 * kept the SLOs must not lose the series' last values).
 */
function nativeTargetsOf(
  slos: readonly SloRuntime[],
  previous: NativeTargets | undefined
): NativeTargets | undefined {
  if (slos.length === 0) return undefined;
  const thresholds = slos.map(slo => slo.def.threshold!);
  const isSame =
    previous !== undefined &&
    previous.thresholds.length === thresholds.length &&
    previous.thresholds.every((t, i) => t === thresholds[i]);
  return {
    thresholds,
    thresholdTexts: thresholds.map(formatLe),
    observedLe: slos.map(slo => slo.observedLe),
    lastGood: isSame ? previous.lastGood : thresholds.map(() => 0),
  };
}

/** Runtime warnings (a threshold that is no observed `le`, nothing matched) plus the static ones. */
function warningsOf(
  def: SloDefinition,
  observedLe: ReadonlySet<string>,
  hasTotal: boolean,
  extra: readonly string[]
): string[] {
  const out = [...def.staticWarnings];
  const total = def.inputs.find(i => i.channel === 1)!.selector.text;
  if (def.threshold !== undefined) {
    const bucket = def.inputs.find(i => i.kind === 'bucket')!.selector.text;
    const native = def.inputs.find(i => i.kind === 'native')!.selector.text;
    const threshold = formatLe(def.threshold);
    if (observedLe.size === 0) {
      out.push(
        `no series matching ${bucket} or native histograms ${native} seen yet: the threshold ${threshold} cannot be checked against their buckets`
      );
    } else if (!observedLe.has(threshold)) {
      const seen = [...observedLe]
        .sort((a, b) => parseLe(a) - parseLe(b))
        .join(', ');
      out.push(
        `the threshold ${threshold} is not one of the bucket bounds seen on ${bucket} or native histograms ${native} (${seen}): set the threshold to one of them; until then a classic histogram counts no event as good (error ratio 1) and a native one counts the bucket holding the threshold as bad`
      );
    }
  }
  if (!hasTotal)
    out.push(`no series matching the total selector ${total} seen yet`);
  out.push(...extra);
  return out;
}

/** `le` label text → bound (`+Inf` → Infinity; NaN when missing or not a number). */
export function parseLe(text: string | undefined): number {
  if (text === undefined || text === '') return Number.NaN;
  if (text === '+Inf' || text === 'Inf' || text === 'inf' || text === '+inf')
    return Number.POSITIVE_INFINITY;
  return Number(text);
}

/** A bound as `le` text, normalized (0.30 → "0.3", Infinity → "+Inf"). */
export function formatLe(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value);
}

/** The `window` parameter in ms (undefined when absent). */
function parseWindowParam(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) {
    throw new InvalidPayloadError(
      `cannot parse 'window' param ${JSON.stringify(text)}: want a duration such as 5m, 1h or 30d`
    );
  }
  return ms;
}

function emptyToUndefined(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

function sortedMap<V>(map: Map<string, V>): Map<string, V> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
