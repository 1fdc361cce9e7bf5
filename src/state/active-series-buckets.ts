/**
 * Time buckets of the active-series sketches, shared by the memory and Redis
 * stores so both count the same window the same way.
 *
 * A series added at `t` lands in the bucket that contains `t`. A count at
 * `nowMs` over `windowMs` takes every bucket that intersects
 * `(nowMs - windowMs, nowMs]`, so a series last added at `t` is counted
 * at least while `nowMs - t < windowMs`, and never once `nowMs` is past
 * `windowMs` beyond the end of `t`'s bucket (the usual "at least the
 * window" rounding of bucketed counters).
 */
import { assertFiniteTime, assertWindow } from './state-args.js';

/** Width of one active-series time bucket. */
export const ACTIVE_SERIES_BUCKET_MS = 60_000;

/**
 * How long buckets are kept before any window has been asked (and the floor
 * for Redis key TTLs): covers the default `limits.active_window` (20m) with
 * room to spare.
 */
export const DEFAULT_ACTIVE_SERIES_RETENTION_MS = 60 * 60_000;

/** Upper bound on retention, whatever window a caller asks for. */
export const MAX_ACTIVE_SERIES_RETENTION_MS = 24 * 60 * 60_000;

/** Start (ms since the epoch) of the bucket that contains `timeMs`. */
export function bucketStartMs(timeMs: number): number {
  return Math.floor(timeMs / ACTIVE_SERIES_BUCKET_MS) * ACTIVE_SERIES_BUCKET_MS;
}

/** First and last bucket starts (inclusive) that a count over a window reads. */
export interface BucketRange {
  readonly firstMs: number;
  readonly lastMs: number;
}

/**
 * The buckets intersecting `(nowMs - windowMs, nowMs]`.
 *
 * @throws RangeError when `windowMs` is not a positive finite number or
 *   `nowMs` is not finite (a caller bug, not a runtime condition).
 */
export function windowBuckets(windowMs: number, nowMs: number): BucketRange {
  assertWindow(windowMs);
  assertFiniteTime(nowMs);
  return {
    firstMs: bucketStartMs(nowMs - windowMs + 1),
    lastMs: bucketStartMs(nowMs),
  };
}

/**
 * Retention for a store that has been asked windows up to `largestWindowMs`
 * (undefined: none yet): that window, at most MAX_ACTIVE_SERIES_RETENTION_MS.
 */
export function retentionFor(largestWindowMs: number | undefined): number {
  if (largestWindowMs === undefined) return DEFAULT_ACTIVE_SERIES_RETENTION_MS;
  return Math.min(largestWindowMs, MAX_ACTIVE_SERIES_RETENTION_MS);
}
