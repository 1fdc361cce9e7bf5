/**
 * Recent Warning events per cluster, counted by reason in one-minute
 * buckets over a sliding window, for the fleet view ("what is going wrong
 * in this cluster right now"). Memory is bounded: at most
 * `maxReasonsPerCluster` distinct reasons live per cluster (further ones
 * are counted under OTHER_WARNING_REASON), and buckets older than the
 * window are dropped as newer ones arrive.
 *
 * Counts are observations this replica appended (one per new count or
 * version of an event), so with the load balancer routing each cluster to
 * one replica (docs/architecture.md "Replicas and routing") they cover the cluster.
 */

/** Reason under which warnings past the distinct-reason bound are counted. */
export const OTHER_WARNING_REASON = '_other';
/** Width of one bucket. */
export const WARNING_BUCKET_MS = 60_000;
/** How far back warnings are kept, by default. */
export const DEFAULT_WARNING_WINDOW_MS = 60 * 60_000;
/** Distinct reasons tracked per cluster, by default. */
export const DEFAULT_MAX_WARNING_REASONS = 50;
/** Reasons listed by `recent()`, by default; the rest are summed in `other`. */
export const DEFAULT_TOP_WARNING_REASONS = 10;

export interface WarningReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** Warnings of one cluster since some time. */
export interface RecentWarnings {
  /** Every warning counted. */
  readonly total: number;
  /** The most frequent reasons, count descending (ties by reason). */
  readonly reasons: readonly WarningReasonCount[];
  /** Warnings of every other reason (including OTHER_WARNING_REASON). */
  readonly other: number;
}

export interface WarningReasonWindowOptions {
  readonly windowMs?: number;
  readonly maxReasonsPerCluster?: number;
  readonly topReasons?: number;
}

interface ClusterWarnings {
  /** Bucket start ms → reason → count. */
  readonly buckets: Map<number, Map<string, number>>;
  /** Tracked reason → start of the latest bucket holding it. */
  readonly reasons: Map<string, number>;
}

const EMPTY: RecentWarnings = Object.freeze({
  total: 0,
  reasons: Object.freeze([]),
  other: 0,
});

export class WarningReasonWindow {
  readonly windowMs: number;
  private readonly _maxReasons: number;
  private readonly _topReasons: number;
  private readonly _byCluster = new Map<string, ClusterWarnings>();

  constructor(options: WarningReasonWindowOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_WARNING_WINDOW_MS;
    this._maxReasons =
      options.maxReasonsPerCluster ?? DEFAULT_MAX_WARNING_REASONS;
    this._topReasons = options.topReasons ?? DEFAULT_TOP_WARNING_REASONS;
  }

  /**
   * Counts one warning of `reason` that happened at `atMs` (clamped to
   * `nowMs`; ignored when older than the window).
   */
  record(cluster: string, reason: string, atMs: number, nowMs: number): void {
    const at = Math.min(atMs, nowMs);
    if (!(at > nowMs - this.windowMs)) return;
    const state = this._cluster(cluster);
    this._prune(state, nowMs);
    const bucketStart = at - (at % WARNING_BUCKET_MS);
    const key = this._trackedReason(state, reason, bucketStart);
    let bucket = state.buckets.get(bucketStart);
    if (bucket === undefined) {
      bucket = new Map();
      state.buckets.set(bucketStart, bucket);
    }
    bucket.set(key, (bucket.get(key) ?? 0) + 1);
  }

  /**
   * Warnings of `cluster` in buckets that end after `sinceMs` (one-minute
   * resolution; at most the window).
   */
  recent(cluster: string, sinceMs: number): RecentWarnings {
    const state = this._byCluster.get(cluster);
    if (state === undefined) return EMPTY;
    const totals = new Map<string, number>();
    for (const [start, bucket] of state.buckets) {
      if (start + WARNING_BUCKET_MS <= sinceMs) continue;
      for (const [reason, count] of bucket)
        totals.set(reason, (totals.get(reason) ?? 0) + count);
    }
    let total = 0;
    const named: WarningReasonCount[] = [];
    let folded = 0;
    for (const [reason, count] of totals) {
      total += count;
      if (reason === OTHER_WARNING_REASON) folded += count;
      else named.push({ reason, count });
    }
    named.sort(
      (a, b) =>
        b.count - a.count ||
        (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0)
    );
    const top = named.slice(0, this._topReasons);
    let other = folded;
    for (let i = top.length; i < named.length; i++) other += named[i]!.count;
    return { total, reasons: top, other };
  }

  /** Clusters with warnings recorded (possibly expired). */
  clusters(): string[] {
    return [...this._byCluster.keys()];
  }

  private _cluster(cluster: string): ClusterWarnings {
    let state = this._byCluster.get(cluster);
    if (state === undefined) {
      state = { buckets: new Map(), reasons: new Map() };
      this._byCluster.set(cluster, state);
    }
    return state;
  }

  /** The reason to count under: itself while within the bound, else OTHER. */
  private _trackedReason(
    state: ClusterWarnings,
    reason: string,
    bucketStart: number
  ): string {
    const seen = state.reasons.get(reason);
    if (seen !== undefined || state.reasons.size < this._maxReasons) {
      if (seen === undefined || bucketStart > seen)
        state.reasons.set(reason, bucketStart);
      return reason;
    }
    return OTHER_WARNING_REASON;
  }

  /** Drops buckets, and reasons, that ended before the window. */
  private _prune(state: ClusterWarnings, nowMs: number): void {
    const oldestKeptStart = nowMs - this.windowMs - WARNING_BUCKET_MS;
    for (const start of state.buckets.keys()) {
      if (start <= oldestKeptStart) state.buckets.delete(start);
    }
    for (const [reason, latest] of state.reasons) {
      if (latest <= oldestKeptStart) state.reasons.delete(reason);
    }
  }
}
