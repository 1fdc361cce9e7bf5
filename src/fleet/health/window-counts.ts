/**
 * Counts in fixed time buckets over a short window: samples, log lines and
 * events (for per-second rates), requests, refusals and drops by reason
 * (for the degraded rules). Buckets are aligned to the epoch, so the
 * buckets of several replicas add up bucket by bucket: the fleet-wide rate
 * is the sum of the replicas' rates.
 */

/** Bucket width. */
export const COUNT_BUCKET_MS = 10_000;
/** How long counts are kept, and the window of the degraded rules. */
export const COUNT_WINDOW_MS = 5 * 60_000;
/** The window of samples, log lines and events per second. */
export const RATE_WINDOW_MS = 60_000;

const KEPT_BUCKETS = COUNT_WINDOW_MS / COUNT_BUCKET_MS + 1;

/** Bucket index → count. */
export type BucketCounts = Map<number, number>;

/** Dense wire form: `[first bucket index, count, count, …]`. */
export type EncodedBucketCounts = number[];

export function bucketOf(ms: number): number {
  return Math.floor(ms / COUNT_BUCKET_MS);
}

/** Adds `n` at `atMs`; buckets older than the window before `atMs` are dropped. */
export function addCount(counts: BucketCounts, atMs: number, n: number): void {
  const bucket = bucketOf(atMs);
  counts.set(bucket, (counts.get(bucket) ?? 0) + n);
  if (counts.size > KEPT_BUCKETS + 1) pruneCounts(counts, atMs);
}

/** Drops buckets that fell out of the window before `nowMs`. */
export function pruneCounts(counts: BucketCounts, nowMs: number): void {
  const oldest = bucketOf(nowMs) - KEPT_BUCKETS;
  for (const bucket of counts.keys())
    if (bucket <= oldest) counts.delete(bucket);
}

/** Sum of the buckets from the one holding `fromMs` to the one holding `nowMs`. */
export function sumCounts(
  counts: BucketCounts,
  fromMs: number,
  nowMs: number
): number {
  const from = bucketOf(fromMs);
  const to = bucketOf(nowMs);
  let sum = 0;
  for (const [bucket, n] of counts)
    if (bucket >= from && bucket <= to) sum += n;
  return sum;
}

/**
 * Per-second rate over the last RATE_WINDOW_MS (whole buckets, the current
 * one included, so the span counted is exactly from the first bucket's start
 * to now), never counting time before `firstSeenMs`.
 */
export function ratePerSecond(
  counts: BucketCounts,
  nowMs: number,
  firstSeenMs: number
): number {
  const fromBucket = bucketOf(nowMs) - RATE_WINDOW_MS / COUNT_BUCKET_MS + 1;
  const fromMs = Math.max(fromBucket * COUNT_BUCKET_MS, firstSeenMs);
  const sum = sumCounts(counts, fromBucket * COUNT_BUCKET_MS, nowMs);
  if (sum === 0) return 0;
  return sum / (Math.max(1000, nowMs - fromMs) / 1000);
}

/** Adds `from` into `into`, bucket by bucket. */
export function mergeCounts(into: BucketCounts, from: BucketCounts): void {
  for (const [bucket, n] of from) into.set(bucket, (into.get(bucket) ?? 0) + n);
}

export function encodeCounts(
  counts: BucketCounts,
  nowMs: number
): EncodedBucketCounts | undefined {
  const to = bucketOf(nowMs);
  const from = to - KEPT_BUCKETS + 1;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const [bucket, n] of counts) {
    if (bucket < from || bucket > to || n === 0) continue;
    if (bucket < first) first = bucket;
    if (bucket > last) last = bucket;
  }
  if (first > last) return undefined;
  const out: number[] = [first];
  for (let bucket = first; bucket <= last; bucket++)
    out.push(counts.get(bucket) ?? 0);
  return out;
}

/** Decodes the dense form; throws a TypeError on anything else. */
export function decodeCounts(encoded: unknown): BucketCounts {
  if (
    !Array.isArray(encoded) ||
    encoded.length < 2 ||
    encoded.length > KEPT_BUCKETS + 2 ||
    !encoded.every(v => typeof v === 'number' && Number.isFinite(v))
  )
    throw new TypeError('bucket counts: want [first bucket, counts…]');
  const numbers = encoded as number[];
  const first = numbers[0]!;
  const counts: BucketCounts = new Map();
  for (let i = 1; i < numbers.length; i++)
    if (numbers[i] !== 0) counts.set(first + i - 1, numbers[i]!);
  return counts;
}
