/**
 * OTLP exponential histograms → Prometheus native histograms (OTel spec
 * "Exponential Histograms"; PROTOCOLS.md §2.9):
 *
 * - `scale` becomes `schema`. Prometheus accepts -4..8, so a finer scale is
 *   downscaled to 8 by merging 2^(scale-8) neighbouring buckets, and a scale
 *   below -4 cannot be represented (the caller rejects the point).
 * - OTLP bucket i covers (base^i, base^(i+1)]; Prometheus indexes buckets by
 *   their upper bound, so it becomes Prometheus bucket i+1.
 * - The dense OTLP counts become spans + deltas. Empty buckets are skipped;
 *   a gap of at most two buckets is filled with zeros rather than opening a
 *   new span, which costs fewer bytes (the same rule as Prometheus).
 * - `zero_threshold`, when unset, is 1e-128 as the spec says.
 */
import type { BucketSpan, NativeHistogram } from '../../model/index.js';
import { STALE_NAN } from './stale-nan.js';

/** Finest and coarsest schema Prometheus accepts for exponential buckets. */
export const MAX_NATIVE_SCHEMA = 8;
export const MIN_NATIVE_SCHEMA = -4;
/** Zero threshold when OTLP leaves it unset (spec). */
export const DEFAULT_ZERO_THRESHOLD = 1e-128;
/** Native histogram reset hint UNKNOWN: always safe (Prometheus does its own detection). */
const RESET_HINT_UNKNOWN = 0;

/** Dense OTLP buckets: `bucketCounts[j]` is bucket `offset + j`. */
export interface DenseBuckets {
  offset: number;
  bucketCounts: number[];
}

/** The fields of an exponential histogram point that make up its distribution. */
export interface ExponentialHistogramShape {
  scale: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number | undefined;
  positive: DenseBuckets;
  negative: DenseBuckets;
}

/**
 * Converts an exponential histogram (scale ≥ -4) to an integer native
 * histogram.
 *
 * @returns the histogram, or a message saying why the point is invalid.
 */
export function toNativeHistogram(
  point: ExponentialHistogramShape,
  timestampMs: number,
  startTimestampMs: number
): NativeHistogram | string {
  const shift =
    point.scale > MAX_NATIVE_SCHEMA ? point.scale - MAX_NATIVE_SCHEMA : 0;
  const positiveSpans: BucketSpan[] = [];
  const positiveDeltas: number[] = [];
  const negativeSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const positiveTotal = writer.write(
    point.positive,
    shift,
    positiveSpans,
    positiveDeltas
  );
  const negativeTotal = writer.write(
    point.negative,
    shift,
    negativeSpans,
    negativeDeltas
  );
  const bucketTotal = point.zeroCount + positiveTotal + negativeTotal;
  if (point.count < bucketTotal) {
    return `exponential histogram count ${point.count} is less than its buckets' total ${bucketTotal}`;
  }
  const sum = point.sum ?? 0;
  // Prometheus rejects the same: a histogram with no observations has no sum.
  if (point.count === 0 && sum !== 0 && !Number.isNaN(sum)) {
    return `exponential histogram has zero count but sum ${sum}`;
  }
  return {
    countInt: point.count,
    countFloat: 0,
    sum,
    schema: point.scale - shift,
    zeroThreshold:
      point.zeroThreshold > 0 ? point.zeroThreshold : DEFAULT_ZERO_THRESHOLD,
    zeroCountInt: point.zeroCount,
    zeroCountFloat: 0,
    negativeSpans,
    negativeDeltas,
    negativeCounts: [],
    positiveSpans,
    positiveDeltas,
    positiveCounts: [],
    resetHint: RESET_HINT_UNKNOWN,
    timestampMs,
    customValues: [],
    startTimestampMs,
  };
}

/**
 * The stale marker for a native histogram series: a float histogram whose
 * sum and count are the stale NaN (an integer count cannot hold a NaN).
 */
export function staleNativeHistogram(
  schema: number,
  timestampMs: number,
  startTimestampMs: number
): NativeHistogram {
  return {
    countInt: undefined,
    countFloat: STALE_NAN,
    sum: STALE_NAN,
    schema,
    zeroThreshold: DEFAULT_ZERO_THRESHOLD,
    zeroCountInt: undefined,
    zeroCountFloat: 0,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: RESET_HINT_UNKNOWN,
    timestampMs,
    customValues: [],
    startTimestampMs,
  };
}

/**
 * Dense buckets merged down by `shift` scale steps (bucket i → floor(i / 2^shift)).
 * Returns a new object; `shift` 0 returns a copy.
 */
export function downscaleBuckets(
  buckets: DenseBuckets,
  shift: number
): DenseBuckets {
  const counts = buckets.bucketCounts;
  if (counts.length === 0) return { offset: 0, bucketCounts: [] };
  const divisor = 2 ** shift;
  const offset = Math.floor(buckets.offset / divisor);
  const out: number[] = [];
  for (let j = 0; j < counts.length; j++) {
    const at = Math.floor((buckets.offset + j) / divisor) - offset;
    // `at` grows by at most one per step, so the array stays dense.
    if (at === out.length) out.push(counts[j]!);
    else out[at] = out[at]! + counts[j]!;
  }
  return { offset, bucketCounts: out };
}

/** Bucket-wise sum of two dense bucket sets at the same scale (a new object). */
export function addBuckets(a: DenseBuckets, b: DenseBuckets): DenseBuckets {
  if (a.bucketCounts.length === 0)
    return { offset: b.offset, bucketCounts: b.bucketCounts.slice() };
  if (b.bucketCounts.length === 0)
    return { offset: a.offset, bucketCounts: a.bucketCounts.slice() };
  const offset = Math.min(a.offset, b.offset);
  const end = Math.max(
    a.offset + a.bucketCounts.length,
    b.offset + b.bucketCounts.length
  );
  const out = new Array<number>(end - offset).fill(0);
  for (let j = 0; j < a.bucketCounts.length; j++)
    out[a.offset - offset + j]! += a.bucketCounts[j]!;
  for (let j = 0; j < b.bucketCounts.length; j++)
    out[b.offset - offset + j]! += b.bucketCounts[j]!;
  return { offset, bucketCounts: out };
}

/** Largest run of empty buckets filled with zeros instead of starting a new span. */
const MAX_FILLED_GAP = 2;

/**
 * Streams dense OTLP buckets into Prometheus spans and deltas. One instance
 * is reused (conversion is synchronous), so a point costs no closure.
 */
class SpanWriter {
  private _spans: BucketSpan[] = [];
  private _deltas: number[] = [];
  private _hasBucket = false;
  private _lastIndex = 0;
  private _lastCount = 0;

  /** Appends the buckets, merged by `shift`, and returns their total count. */
  write(
    buckets: DenseBuckets,
    shift: number,
    spans: BucketSpan[],
    deltas: number[]
  ): number {
    this._spans = spans;
    this._deltas = deltas;
    this._hasBucket = false;
    const counts = buckets.bucketCounts;
    const divisor = 2 ** shift;
    let total = 0;
    let pendingIndex = 0;
    let pendingCount = 0;
    let hasPending = false;
    for (let j = 0; j < counts.length; j++) {
      const count = counts[j]!;
      if (count === 0) continue;
      total += count;
      // +1: OTLP indexes by lower bound, Prometheus by upper bound.
      const index =
        (shift === 0
          ? buckets.offset + j
          : Math.floor((buckets.offset + j) / divisor)) + 1;
      if (hasPending && index === pendingIndex) {
        pendingCount += count;
        continue;
      }
      if (hasPending) this._emit(pendingIndex, pendingCount);
      pendingIndex = index;
      pendingCount = count;
      hasPending = true;
    }
    if (hasPending) this._emit(pendingIndex, pendingCount);
    return total;
  }

  private _emit(index: number, count: number): void {
    if (!this._hasBucket) {
      this._spans.push({ offset: index, length: 1 });
      this._deltas.push(count);
      this._hasBucket = true;
    } else {
      const gap = index - this._lastIndex - 1;
      const span = this._spans[this._spans.length - 1]!;
      if (gap > MAX_FILLED_GAP) {
        this._spans.push({ offset: gap, length: 1 });
      } else {
        for (let g = 0; g < gap; g++) {
          this._deltas.push(0 - this._lastCount); // not -x: -0 is not 0 to deep equality
          this._lastCount = 0;
        }
        span.length += gap + 1;
      }
      this._deltas.push(count - this._lastCount);
    }
    this._lastIndex = index;
    this._lastCount = count;
  }
}

const writer = new SpanWriter();
