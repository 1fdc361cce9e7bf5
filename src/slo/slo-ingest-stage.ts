/**
 * The SLO engine's ingest step: a read-only tap that SloEngine runs after
 * acknowledgement (pipeline/batch-observer.ts says why), so it sees exactly
 * what is forwarded; it turns
 * counter samples into event counts per (SLO, cluster) in time buckets
 * (slo-counters.ts). The hot path: per sample it allocates nothing; per
 * series it matches once.
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
 *   to one replica at a time (docs/architecture.md); when routing moves it away and
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
 *
 * About 500 lines: the rules above and the two per-sample loops that apply
 * them (float and native histogram) belong together.
 */
import type { SeriesBatch } from '../model/index.js';
import { formatLe, getLabel, metricNameOf, parseLe } from '../model/index.js';
import { formatSeriesHash, hashSeries } from '../model/index.js';
import type { Stage, StageContext } from '../pipeline/index.js';
import type { SloCounters } from './slo-counters.js';
import { matchesSloSelector } from './slo-selector.js';
import type { InputRef, SloRuntime, SloSet } from './slo-set.js';
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

/** Distinct `le` values remembered per latency SLO (for the warning). */
const MAX_OBSERVED_LE = 64;
/** Native histogram reset hints (remote write 2.0 `Histogram.ResetHint`). */
const RESET_HINT_YES = 1;
const RESET_HINT_GAUGE = 3;

const EMPTY_REFS: readonly InputRef[] = Object.freeze([]);

export interface SloIngestOptions {
  /** Counter series whose last value is kept, at most. */
  readonly maxSeries: number;
  /** A series not seen for this long is forgotten. */
  readonly seriesTtlMs: number;
  /** A sample this much newer than its series' previous one counts as a first sample. */
  readonly maxGapMs: number;
  /** The engine's clock (never going backwards). */
  readonly now: () => number;
}

/** Counters of the stage's own health. */
export interface SloIngestStats {
  readonly trackedSeries: number;
  readonly evictedSeries: number;
  readonly ignoredOutOfOrder: number;
  readonly ignoredUntracked: number;
  readonly matchRuns: number;
}

/** Counts increases of matching counter series into the SLO set's counters. */
export class SloIngestStage implements Stage {
  readonly name = 'slo';
  private readonly _set: SloSet;
  private readonly _now: () => number;
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
  private readonly _maxGapMs: number;
  private readonly _hashScratch = new Uint32Array(2);
  /** Scratch of `_ingestNative` (no allocation per histogram). */
  private readonly _thresholdFit: ThresholdFit = {
    isExact: false,
    lower: 0,
    upper: 0,
  };
  private readonly _nativeGoods: number[] = [];
  private _ignoredOutOfOrder = 0;
  private _ignoredUntracked = 0;
  private _matchRuns = 0;

  constructor(set: SloSet, options: SloIngestOptions) {
    this._set = set;
    this._now = options.now;
    this._maxGapMs = options.maxGapMs;
    this._series = new SeriesStates(
      options.maxSeries,
      options.seriesTtlMs,
      options.now()
    );
  }

  /** Observes the batch; never mutates it (the stage is a read-only tap). */
  process(batch: SeriesBatch, context: StageContext): void {
    if (this._set.slos.length === 0) return;
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

  /** Memoized matches and targets are stale (the set changed, counters were dropped): resolve again. */
  invalidate(): void {
    this._generation++;
    this._noMatch = {
      matched: false,
      generation: this._generation,
      isEvicted: false,
    };
  }

  /** Forgets idle series. */
  sweep(nowMs: number): void {
    this._series.sweep(nowMs);
  }

  /**
   * Restored state was written at `writtenAtMs`: series born after it were
   * never counted, so their first value is new events.
   */
  restoredUntil(writtenAtMs: number): void {
    if (writtenAtMs < this._series.horizonMs)
      this._series.horizonMs = writtenAtMs;
  }

  stats(): SloIngestStats {
    return {
      trackedSeries: this._series.size,
      evictedSeries: this._series.evicted,
      ignoredOutOfOrder: this._ignoredOutOfOrder,
      ignoredUntracked: this._ignoredUntracked,
      matchRuns: this._matchRuns,
    };
  }

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
    if (this._set.anyMetric.length > 0) return true;
    return this._set.byMetric.has(metricNameOf(labels));
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
      this._set.byMetric.get(metricNameOf(labels)) ?? EMPTY_REFS,
      counters,
      channels,
      natives
    );
    this._matchInto(
      labels,
      cluster,
      nowMs,
      this._set.anyMetric,
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
        counters.push(this._set.countersFor(slo, cluster, nowMs));
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
      counters.push(this._set.countersFor(slo, cluster, nowMs));
      channels.push(input.channel);
    }
  }
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
