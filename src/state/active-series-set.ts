/**
 * One exact active-series set of the memory store (a cluster's series, a
 * metric's series in a cluster, or a metric's series fleet-wide).
 *
 * Each series hash lives in exactly one bucket: the bucket of its latest
 * add. The union over a window's buckets is then a sum of bucket sizes
 * (O(buckets), not O(series)), and expiry drops whole buckets. An add for a
 * bucket older than the series' latest one is ignored: callers pass
 * non-decreasing `nowMs` per set, and a count for a time before a series'
 * latest add counts it in its latest bucket only.
 */
export class ActiveSeriesSet {
  /** undefined: the set is not narrowed by cluster (fleet-wide). */
  readonly cluster: string | undefined;
  /** undefined: every metric. */
  readonly metric: string | undefined;
  /** Series hash → start of the bucket of its latest add. */
  private readonly _latestBucket = new Map<string, number>();
  /** Bucket start → hashes whose latest add fell in it. */
  private readonly _buckets = new Map<number, Set<string>>();

  constructor(cluster: string | undefined, metric: string | undefined) {
    this.cluster = cluster;
    this.metric = metric;
  }

  /** Distinct series held (all buckets). */
  get size(): number {
    return this._latestBucket.size;
  }

  has(hash: string): boolean {
    return this._latestBucket.has(hash);
  }

  /** Marks `hash` seen in the bucket starting at `bucketMs`; true when the set grew. */
  add(hash: string, bucketMs: number): boolean {
    const previous = this._latestBucket.get(hash);
    if (previous !== undefined && previous >= bucketMs) return false;
    if (previous !== undefined) {
      const old = this._buckets.get(previous);
      old?.delete(hash);
      if (old?.size === 0) this._buckets.delete(previous);
    }
    this._latestBucket.set(hash, bucketMs);
    let bucket = this._buckets.get(bucketMs);
    if (bucket === undefined) {
      bucket = new Set();
      this._buckets.set(bucketMs, bucket);
    }
    bucket.add(hash);
    return previous === undefined;
  }

  /** Series whose latest add fell in buckets `firstMs..lastMs` (inclusive). */
  count(firstMs: number, lastMs: number): number {
    let total = 0;
    for (const [bucketMs, hashes] of this._buckets) {
      if (bucketMs >= firstMs && bucketMs <= lastMs) total += hashes.size;
    }
    return total;
  }

  /** Drops buckets that start before `oldestKeptMs`; returns how many series went. */
  prune(oldestKeptMs: number): number {
    let removed = 0;
    for (const [bucketMs, hashes] of this._buckets) {
      if (bucketMs >= oldestKeptMs) continue;
      for (const hash of hashes) this._latestBucket.delete(hash);
      removed += hashes.size;
      this._buckets.delete(bucketMs);
    }
    return removed;
  }

  /** Non-empty buckets as `[bucketStartMs, hashes]`; the views are live. */
  buckets(): IterableIterator<[number, ReadonlySet<string>]> {
    return this._buckets.entries();
  }
}
