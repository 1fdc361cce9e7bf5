/**
 * One cluster's active series: an open-addressing hash table (linear
 * probing) over parallel typed arrays, keyed by the 64-bit series hash.
 *
 * Per slot (14 bytes; 18 with label tracking):
 * | array    | type   | meaning                                               |
 * | `_hi`    | uint32 | hash high word (FNV-1a)                               |
 * | `_lo`    | uint32 | hash low word (murmur mix): the probe start           |
 * | `_seen`  | uint32 | last seen, seconds since the index epoch; 0 = empty   |
 * | `_metric`| uint16 | metric id in `metrics` (MetricDictionary)             |
 * | `_pairs` | uint32 | offset of the series' label pair ids in `_pool`       |
 * The load factor stays within (3/8, 3/4] after the first growth, so a
 * series costs 14/0.75 ≈ 19 to 14/0.375 ≈ 37 bytes of tracking; measured
 * (bench/active-series-memory.ts) 29 bytes at 1M series in one cluster, 37
 * in ten. Label tracking adds about 75: 4 bytes per pair id plus a count
 * per series in the pair pool, the offset, and the pair dictionary.
 *
 * Deletion is backward-shift (no tombstones), so probe chains stay short and
 * lookups stay correct however many series expire. Expiry is an incremental
 * sweep with a cursor, driven by the caller's clock: no timer per series.
 */
import { LabelPairDictionary } from './label-pair-dictionary.js';
import { MetricDictionary } from './metric-dictionary.js';
import { PAIR_POOL_PAGE_WORDS, PairPool } from './pair-pool.js';

const MIN_CAPACITY = 1024;

export interface SeriesTableOptions {
  /** Distinct metric names tracked by id; more share the overflow id. */
  readonly maxMetrics: number;
  /** name → active series over all clusters (shared by every table). */
  readonly fleetMetricCounts: Map<string, number>;
  /** Keep each series' label pairs for the cardinality API. */
  readonly trackLabels: boolean;
  /** Initial slots (rounded up to a power of two, at least 1024). */
  readonly initialCapacity?: number | undefined;
}

export class SeriesTable {
  /** The cluster's metric names and per-metric active series. */
  readonly metrics: MetricDictionary;
  /** The cluster's label pairs with active series counts; undefined without label tracking. */
  readonly labels: LabelPairDictionary | undefined;
  /** Active window of this cluster in seconds (an idle series expires after it). */
  windowSec: number;

  private _capacity: number;
  private _mask: number;
  private _size = 0;
  private _hi: Uint32Array;
  private _lo: Uint32Array;
  private _seen: Uint32Array;
  private _metric: Uint16Array;
  private _pairs: Uint32Array;
  private _pool: PairPool | undefined;
  private _cursor = 0;
  private readonly _isTrackingLabels: boolean;

  constructor(windowSec: number, options: SeriesTableOptions) {
    this.windowSec = windowSec;
    this.metrics = new MetricDictionary(
      options.maxMetrics,
      options.fleetMetricCounts
    );
    this._isTrackingLabels = options.trackLabels;
    this.labels = options.trackLabels ? new LabelPairDictionary() : undefined;
    this._pool = options.trackLabels ? new PairPool() : undefined;
    let capacity = MIN_CAPACITY;
    while (capacity < (options.initialCapacity ?? 0)) capacity *= 2;
    this._capacity = capacity;
    this._mask = capacity - 1;
    this._hi = new Uint32Array(capacity);
    this._lo = new Uint32Array(capacity);
    this._seen = new Uint32Array(capacity);
    this._metric = new Uint16Array(capacity);
    this._pairs = new Uint32Array(this._isTrackingLabels ? capacity : 0);
  }

  /** Active series (including idle ones the sweep has not reached yet). */
  get size(): number {
    return this._size;
  }

  /** Slots; a slot index is below this. */
  get capacity(): number {
    return this._capacity;
  }

  /** Bytes of the tracking arrays (hash, last seen, metric id). */
  get trackingBytes(): number {
    return (
      this._hi.byteLength +
      this._lo.byteLength +
      this._seen.byteLength +
      this._metric.byteLength
    );
  }

  /** Bytes of the per-series label arrays (pair offsets and the pair pool; dictionaries excluded). */
  get labelArrayBytes(): number {
    return this._pairs.byteLength + (this._pool?.byteLength ?? 0);
  }

  /** The slot of a hash, or -1. */
  find(hi: number, lo: number): number {
    const mask = this._mask;
    const seen = this._seen;
    const his = this._hi;
    const los = this._lo;
    let i = lo & mask;
    // Probing ends at the first empty slot: backward-shift deletion leaves no gaps in a chain.
    while (seen[i] !== 0) {
      if (los[i] === lo && his[i] === hi) return i;
      i = (i + 1) & mask;
    }
    return -1;
  }

  /** Last seen of a slot (seconds since the epoch; 0 = empty). */
  seenAt(slot: number): number {
    return this._seen[slot]!;
  }

  /** Marks a slot's series seen at `sec`. */
  touch(slot: number, sec: number): void {
    this._seen[slot] = sec;
  }

  /** High word of a slot's series hash. */
  hiAt(slot: number): number {
    return this._hi[slot]!;
  }

  /** Low word of a slot's series hash. */
  loAt(slot: number): number {
    return this._lo[slot]!;
  }

  metricIdAt(slot: number): number {
    return this._metric[slot]!;
  }

  /** The pool page holding a slot's label pair chunk (`[n, pair ids…]` from `pairBaseAt(slot)`). */
  pairPageAt(slot: number): Uint32Array {
    return this._pool!.pageOf(this._pairs[slot]!);
  }

  /** Where a slot's chunk starts in its page. */
  pairBaseAt(slot: number): number {
    return this._pairs[slot]! & (PAIR_POOL_PAGE_WORDS - 1);
  }

  /**
   * Inserts a series that `find` did not find, seen at `sec` (≥ 1); interns
   * its metric name and, with label tracking, its label pairs. Returns its slot.
   */
  insert(
    hi: number,
    lo: number,
    sec: number,
    metricName: string,
    labels: readonly string[]
  ): number {
    if ((this._size + 1) * 4 > this._capacity * 3)
      this._resize(this._capacity * 2);
    const mask = this._mask;
    let i = lo & mask;
    while (this._seen[i] !== 0) i = (i + 1) & mask;
    this._hi[i] = hi;
    this._lo[i] = lo;
    this._seen[i] = sec;
    this._metric[i] = this.metrics.addSeries(metricName);
    if (this._isTrackingLabels) this._pairs[i] = this._storePairs(labels);
    this._size++;
    return i;
  }

  /** Removes the series at `slot` and closes the gap (backward shift). */
  removeAt(slot: number): void {
    this.metrics.removeSeries(this._metric[slot]!);
    if (this._isTrackingLabels) this._releasePairs(this._pairs[slot]!);
    const mask = this._mask;
    const seen = this._seen;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      if (seen[j] === 0) break;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const home = this._lo[j]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this._moveSlot(j, hole);
        hole = j;
      }
    }
    seen[hole] = 0;
    this._size--;
  }

  /**
   * Scans up to `maxSlots` slots from the sweep cursor and removes series
   * last seen before `cutoffSec`. Returns how many it removed. At the end of
   * a full pass the table may shrink and the pair pool be compacted.
   */
  sweep(cutoffSec: number, maxSlots: number): number {
    let removed = 0;
    let seen = this._seen;
    // Only advancing steps count: removals are bounded by the size anyway.
    for (let scanned = 0; scanned < maxSlots && this._size > 0;) {
      const at = this._cursor;
      const s = seen[at]!;
      if (s !== 0 && s < cutoffSec) {
        // Do not advance: the shift may have moved a not-yet-examined series into this slot.
        this.removeAt(at);
        removed++;
        continue;
      }
      scanned++;
      this._cursor = (at + 1) & this._mask;
      if (this._cursor === 0) {
        this._afterPass();
        seen = this._seen;
      }
    }
    if (this._size === 0 && removed > 0) this._afterPass();
    return removed;
  }

  /** Calls `fn` with every occupied slot. */
  forEachSlot(fn: (slot: number) => void): void {
    const seen = this._seen;
    for (let i = 0; i < this._capacity; i++) if (seen[i] !== 0) fn(i);
  }

  private _storePairs(labels: readonly string[]): number {
    const pool = this._pool!;
    const dictionary = this.labels!;
    const n = labels.length >>> 1;
    const offset = pool.alloc(n);
    const page = pool.pageOf(offset);
    const base = (offset & (PAIR_POOL_PAGE_WORDS - 1)) + 1;
    for (let k = 0; k < n; k++)
      page[base + k] = dictionary.acquire(labels[2 * k]!, labels[2 * k + 1]!);
    return offset;
  }

  private _releasePairs(offset: number): void {
    const pool = this._pool!;
    const dictionary = this.labels!;
    const page = pool.pageOf(offset);
    const at = offset & (PAIR_POOL_PAGE_WORDS - 1);
    const n = page[at]!;
    for (let k = 1; k <= n; k++) dictionary.release(page[at + k]!);
    pool.free(offset);
  }

  private _moveSlot(from: number, to: number): void {
    this._hi[to] = this._hi[from]!;
    this._lo[to] = this._lo[from]!;
    this._seen[to] = this._seen[from]!;
    this._metric[to] = this._metric[from]!;
    if (this._isTrackingLabels) this._pairs[to] = this._pairs[from]!;
  }

  /** A full sweep pass ended: give memory back after churn. */
  private _afterPass(): void {
    if (this._capacity > MIN_CAPACITY && this._size * 8 < this._capacity) {
      let capacity = this._capacity;
      while (capacity > MIN_CAPACITY && this._size * 8 < capacity)
        capacity /= 2;
      // Leave room to the growth threshold so a recovering cluster does not resize at once.
      const target = Math.max(MIN_CAPACITY, capacity * 2);
      if (target < this._capacity) this._resize(target);
    }
    const pool = this._pool;
    if (
      pool !== undefined &&
      pool.wastedWords > PAIR_POOL_PAGE_WORDS &&
      pool.wastedWords > pool.liveWords
    )
      this._compactPool();
  }

  private _resize(capacity: number): void {
    const {
      _hi: hi,
      _lo: lo,
      _seen: seen,
      _metric: metric,
      _pairs: pairs,
    } = this;
    const old = this._capacity;
    this._capacity = capacity;
    this._mask = capacity - 1;
    this._hi = new Uint32Array(capacity);
    this._lo = new Uint32Array(capacity);
    this._seen = new Uint32Array(capacity);
    this._metric = new Uint16Array(capacity);
    this._pairs = new Uint32Array(this._isTrackingLabels ? capacity : 0);
    const mask = this._mask;
    for (let from = 0; from < old; from++) {
      if (seen[from] === 0) continue;
      let i = lo[from]! & mask;
      while (this._seen[i] !== 0) i = (i + 1) & mask;
      this._hi[i] = hi[from]!;
      this._lo[i] = lo[from]!;
      this._seen[i] = seen[from]!;
      this._metric[i] = metric[from]!;
      if (this._isTrackingLabels) this._pairs[i] = pairs[from]!;
    }
    this._cursor = 0;
  }

  private _compactPool(): void {
    const old = this._pool!;
    const next = new PairPool();
    for (let i = 0; i < this._capacity; i++) {
      if (this._seen[i] !== 0)
        this._pairs[i] = next.copyFrom(old, this._pairs[i]!);
    }
    this._pool = next;
  }
}
