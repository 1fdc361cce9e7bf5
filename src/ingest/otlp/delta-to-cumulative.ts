/**
 * Turns OTLP delta points into the cumulative series Prometheus needs (spec
 * "Sums": delta monotonic sums SHOULD be converted to cumulative; the same
 * for histograms). Per output series it keeps the running total and the
 * time of the last point folded in.
 *
 * Bounded in two ways, as otel's DeltaMetricProcessor and the collector's
 * deltatocumulative processor are:
 * - an entry not updated for `idleMs` is forgotten (its next point starts a
 *   new cumulative series, which Prometheus sees as a counter reset);
 * - at most `maxEntries` entries; past that the least recently updated is
 *   evicted. The map is kept in update order (delete + set on every update),
 *   so eviction and `sweep` touch only the oldest entries.
 *
 * A point whose time is not after the last one folded in (out of order, or a
 * duplicate such as a retried request) is refused: adding it would count it
 * twice or move time backwards. The caller reports it as rejected.
 *
 * Keys are opaque strings; the converter uses `scope + '\0' + series key`, so
 * clusters never share state.
 */
import {
  addBuckets,
  downscaleBuckets,
  type DenseBuckets,
  type ExponentialHistogramShape,
} from './exponential-histogram.js';

/** How long an idle series keeps its running total. */
export const DEFAULT_DELTA_IDLE_MS = 30 * 60 * 1000;
/** Most series tracked at once. */
export const DEFAULT_DELTA_MAX_ENTRIES = 1_000_000;

export interface DeltaToCumulativeOptions {
  /** Forget series not updated for this long (ms). Default 30 minutes. */
  idleMs?: number;
  /** Most series tracked; the least recently updated is evicted past it. Default 1,000,000. */
  maxEntries?: number;
  /** Wall clock in ms, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

interface EntryBase {
  /** Start of the cumulative series (ms; 0 when the first delta had none). */
  startMs: number;
  /** Time of the last point folded in (ms). */
  lastMs: number;
  /** Wall-clock time of the last update, for idle expiry (ms). */
  seenMs: number;
}

/** Running state of a delta sum. Valid until the next call on the same key. */
export interface DeltaSumState extends EntryBase {
  kind: 'sum';
  total: number;
}

/** Running state of a delta explicit-bucket histogram. */
export interface DeltaHistogramState extends EntryBase {
  kind: 'histogram';
  bounds: number[];
  bucketCounts: number[];
  count: number;
  /** Undefined once a point arrived without a sum. */
  sum: number | undefined;
}

/** Running state of a delta exponential histogram, at scale ≤ 8. */
export interface DeltaExponentialState
  extends EntryBase, ExponentialHistogramShape {
  kind: 'exponential';
}

type Entry = DeltaSumState | DeltaHistogramState | DeltaExponentialState;

export class DeltaToCumulative {
  /** Entries evicted by `maxEntries` since creation (for self-metrics). */
  evictedTotal = 0;
  private readonly _entries = new Map<string, Entry>();
  private readonly _idleMs: number;
  private readonly _maxEntries: number;
  private readonly _now: () => number;

  constructor(options: DeltaToCumulativeOptions = {}) {
    this._idleMs = options.idleMs ?? DEFAULT_DELTA_IDLE_MS;
    this._maxEntries = Math.max(
      1,
      options.maxEntries ?? DEFAULT_DELTA_MAX_ENTRIES
    );
    this._now = options.now ?? Date.now;
  }

  /** Number of series tracked. */
  get size(): number {
    return this._entries.size;
  }

  /**
   * Folds a delta sum point into its series.
   *
   * @returns the running state (read it before the next call), or undefined
   *   when `timeMs` is not after the last point folded in.
   */
  addSum(
    key: string,
    startMs: number,
    timeMs: number,
    delta: number
  ): DeltaSumState | undefined {
    const now = this._now();
    const found = this._live(key, now);
    if (found !== undefined && found.kind === 'sum') {
      if (timeMs <= found.lastMs) return undefined;
      found.total += delta;
      found.lastMs = timeMs;
      this._touch(key, found, now);
      return found;
    }
    const entry: DeltaSumState = {
      kind: 'sum',
      startMs,
      lastMs: timeMs,
      seenMs: now,
      total: delta,
    };
    this._insert(key, entry);
    return entry;
  }

  /**
   * Folds a delta explicit-bucket histogram point into its series. A change
   * of bucket layout starts the series afresh from this point.
   *
   * @returns the running state, or undefined when the point is out of order.
   */
  addHistogram(
    key: string,
    startMs: number,
    timeMs: number,
    bounds: readonly number[],
    bucketCounts: readonly number[],
    count: number,
    sum: number | undefined
  ): DeltaHistogramState | undefined {
    const now = this._now();
    const found = this._live(key, now);
    if (
      found !== undefined &&
      found.kind === 'histogram' &&
      sameLayout(found, bounds, bucketCounts)
    ) {
      if (timeMs <= found.lastMs) return undefined;
      for (let i = 0; i < bucketCounts.length; i++)
        found.bucketCounts[i]! += bucketCounts[i]!;
      found.count += count;
      found.sum =
        found.sum === undefined || sum === undefined
          ? undefined
          : found.sum + sum;
      found.lastMs = timeMs;
      this._touch(key, found, now);
      return found;
    }
    if (found !== undefined && timeMs <= found.lastMs) return undefined;
    const entry: DeltaHistogramState = {
      kind: 'histogram',
      startMs,
      lastMs: timeMs,
      seenMs: now,
      bounds: bounds.slice(),
      bucketCounts: bucketCounts.slice(),
      count,
      sum,
    };
    this._insert(key, entry);
    return entry;
  }

  /**
   * Folds a delta exponential histogram point (scale already ≤ 8) into its
   * series, merging at the coarser of the two scales. A change of zero
   * threshold starts the series afresh.
   *
   * @returns the running state, or undefined when the point is out of order.
   */
  addExponentialHistogram(
    key: string,
    startMs: number,
    timeMs: number,
    point: ExponentialHistogramShape
  ): DeltaExponentialState | undefined {
    const now = this._now();
    const found = this._live(key, now);
    if (
      found !== undefined &&
      found.kind === 'exponential' &&
      found.zeroThreshold === point.zeroThreshold
    ) {
      if (timeMs <= found.lastMs) return undefined;
      const scale = Math.min(found.scale, point.scale);
      found.positive = addBuckets(
        rescale(found.positive, found.scale - scale),
        rescale(point.positive, point.scale - scale)
      );
      found.negative = addBuckets(
        rescale(found.negative, found.scale - scale),
        rescale(point.negative, point.scale - scale)
      );
      found.scale = scale;
      found.zeroCount += point.zeroCount;
      found.count += point.count;
      found.sum =
        found.sum === undefined || point.sum === undefined
          ? undefined
          : found.sum + point.sum;
      found.lastMs = timeMs;
      this._touch(key, found, now);
      return found;
    }
    if (found !== undefined && timeMs <= found.lastMs) return undefined;
    const entry: DeltaExponentialState = {
      kind: 'exponential',
      startMs,
      lastMs: timeMs,
      seenMs: now,
      scale: point.scale,
      zeroThreshold: point.zeroThreshold,
      zeroCount: point.zeroCount,
      count: point.count,
      sum: point.sum,
      positive: downscaleBuckets(point.positive, 0),
      negative: downscaleBuckets(point.negative, 0),
    };
    this._insert(key, entry);
    return entry;
  }

  /** Drops a series (after a stale marker ends it). */
  forget(key: string): void {
    this._entries.delete(key);
  }

  /**
   * Drops every series not updated for `idleMs` before `nowMs`.
   *
   * @returns how many were dropped.
   */
  sweep(nowMs: number): number {
    let dropped = 0;
    // Oldest first: stop at the first entry still live.
    for (const [key, entry] of this._entries) {
      if (nowMs - entry.seenMs <= this._idleMs) break;
      this._entries.delete(key);
      dropped++;
    }
    return dropped;
  }

  /** Drops all state. */
  clear(): void {
    this._entries.clear();
  }

  private _live(key: string, now: number): Entry | undefined {
    const entry = this._entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.seenMs > this._idleMs) {
      this._entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Moves the entry to the young end of the map. */
  private _touch(key: string, entry: Entry, now: number): void {
    entry.seenMs = now;
    this._entries.delete(key);
    this._entries.set(key, entry);
  }

  private _insert(key: string, entry: Entry): void {
    this._entries.delete(key);
    while (this._entries.size >= this._maxEntries) {
      const oldest = this._entries.keys().next();
      if (oldest.done === true) break;
      this._entries.delete(oldest.value);
      this.evictedTotal++;
    }
    this._entries.set(key, entry);
  }
}

function sameLayout(
  state: DeltaHistogramState,
  bounds: readonly number[],
  bucketCounts: readonly number[]
): boolean {
  if (
    state.bounds.length !== bounds.length ||
    state.bucketCounts.length !== bucketCounts.length
  )
    return false;
  for (let i = 0; i < bounds.length; i++)
    if (state.bounds[i] !== bounds[i]) return false;
  return true;
}

function rescale(buckets: DenseBuckets, shift: number): DenseBuckets {
  return shift === 0 ? buckets : downscaleBuckets(buckets, shift);
}
