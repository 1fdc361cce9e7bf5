/**
 * How many observations of a Prometheus native histogram are at or below a
 * latency threshold: the "good" events of a latency SLI read from native
 * histograms (remote write 2.0 and 1.0 histograms, OTLP exponential
 * histograms), the counterpart of a classic `_bucket{le="<threshold>"}`.
 *
 * Bucket bounds (PROTOCOLS.md, native histograms): with a standard schema
 * `s` (−4…8) positive bucket `i` holds (base^(i−1), base^i] with
 * base = 2^(2^−s); negative buckets mirror them; the zero bucket holds
 * [−zero_threshold, zero_threshold]. With the custom-bounds schema (−53)
 * positive bucket `i` ends at `custom_values[i]` (the last one at +Inf).
 *
 * A threshold that is a bucket bound gives an exact count. Otherwise the
 * bucket that straddles it counts as bad (never more good events than
 * happened), and `isExact` says so, for the SLO's warnings, as a classic
 * threshold that is no `le` bucket does.
 */
import type { BucketSpan, NativeHistogram } from '../model/index.js';

/** The custom-bounds schema (NHCB). */
const CUSTOM_BOUNDS_SCHEMA = -53;
/** Relative slack when deciding that a threshold is a computed bound. */
const BOUND_EPSILON = 1e-9;

/** What countAtOrBelow found besides the count (reused by the caller: no allocation per histogram). */
export interface ThresholdFit {
  /** The threshold is a bucket bound of this histogram's schema. */
  isExact: boolean;
  /** The bounds of the bucket holding the threshold (equal to it when exact). */
  lower: number;
  upper: number;
}

/** Total observations of `h` (its count). */
export function observationCount(h: NativeHistogram): number {
  return h.countInt ?? h.countFloat;
}

/**
 * Observations of `h` at or below `threshold` (> 0). Fills `fit` with
 * whether the threshold is one of the histogram's bucket bounds.
 */
export function countAtOrBelow(
  h: NativeHistogram,
  threshold: number,
  fit: ThresholdFit
): number {
  const isCustom = h.schema === CUSTOM_BOUNDS_SCHEMA;
  // The last positive bucket (index) whose upper bound is ≤ threshold.
  let lastGood: number;
  if (isCustom) {
    lastGood = -1;
    const bounds = h.customValues;
    while (lastGood + 1 < bounds.length && bounds[lastGood + 1]! <= threshold)
      lastGood++;
    fit.isExact = lastGood >= 0 && bounds[lastGood] === threshold;
    fit.lower = lastGood >= 0 ? bounds[lastGood]! : 0;
    fit.upper = fit.isExact
      ? threshold
      : (bounds[lastGood + 1] ?? Number.POSITIVE_INFINITY);
  } else {
    const perOctave = 2 ** h.schema;
    // Index of the bucket holding the threshold: ceil(log2(t) · 2^s).
    const raw = Math.log2(threshold) * perOctave;
    let index = Math.ceil(raw);
    // log2 is inexact: a threshold on a bound may land just above it.
    if (Math.abs(raw - Math.round(raw)) < BOUND_EPSILON * perOctave)
      index = Math.round(raw);
    const upper = 2 ** (index / perOctave);
    fit.isExact = Math.abs(upper - threshold) <= BOUND_EPSILON * threshold;
    fit.upper = fit.isExact ? threshold : upper;
    fit.lower = fit.isExact ? threshold : 2 ** ((index - 1) / perOctave);
    lastGood = fit.isExact ? index : index - 1;
  }

  let good = 0;
  // Observations in the zero bucket and below zero are all under a positive
  // threshold, unless the zero bucket reaches past it.
  const zeroCount = h.zeroCountInt ?? h.zeroCountFloat;
  if (isCustom || h.zeroThreshold <= threshold) good += zeroCount;
  else fit.isExact = false;
  good += sumBuckets(
    h.negativeSpans,
    h.negativeDeltas,
    h.negativeCounts,
    Number.POSITIVE_INFINITY
  );
  good += sumBuckets(
    h.positiveSpans,
    h.positiveDeltas,
    h.positiveCounts,
    lastGood
  );
  return good;
}

/**
 * Sum of the buckets with index ≤ `lastIndex`. Integer histograms carry
 * deltas (each count relative to the previous bucket's), float ones counts.
 */
function sumBuckets(
  spans: readonly BucketSpan[],
  deltas: readonly number[],
  counts: readonly number[],
  lastIndex: number
): number {
  const isInteger = deltas.length > 0;
  let sum = 0;
  let index = 0;
  let slot = 0;
  let running = 0;
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s]!;
    // The first span's offset is absolute; later ones follow the previous span.
    index += span.offset;
    for (let k = 0; k < span.length; k++, slot++, index++) {
      const count = isInteger ? (running += deltas[slot] ?? 0) : counts[slot];
      if (index > lastIndex) return sum;
      sum += count ?? 0;
    }
  }
  return sum;
}
