/**
 * Series budgets shared by gateway replicas through the state store's
 * HyperLogLog sketches, without a store round trip per request.
 *
 * Each replica
 * (a) publishes the hashes of series it admits (and, once per republish
 *     period, of series it keeps seeing, so the sketches' time buckets keep
 *     them) into three sets: the cluster's, the cluster+metric's and the
 *     fleet metric's. Publishing is queued, bounded (MAX_PENDING_HASHES; past
 *     it hashes are dropped and counted, and the next republish heals it) and
 *     flushed every tick (~1 s) or early at FLUSH_AT_HASHES;
 * (b) after each flush, refreshes the shared counts of the keys it was asked
 *     about (every cluster it tracks; metrics with new-series attempts since
 *     the last refresh, at most MAX_REFRESH_PER_TICK per tick);
 * (c) judges a new series against
 *       max(local exact count, shared count + local admissions since the refresh was issued).
 *
 * The bound. Replicas A and B splitting one cluster's new series each see
 * the other's admissions only after B flushes and A refreshes, i.e. within
 * one tick T plus the store latency. So the fleet total can pass a budget L
 * by at most the new series the *other* replicas admit for that key within
 * one tick (each replica alone never passes L: its local count is exact),
 * plus the sketch error: HLL's 0.81% standard error (≈ ±2.4% of the count at
 * 3σ) can admit up to that much over L, or refuse that much under it.
 * Steady state (no new series) is exact: existing series always pass.
 */
import type {
  CardinalitySketchAdd,
  CardinalityStore,
} from './cardinality-store.js';

/** Entries (hash × set) queued for publishing at most; more are dropped and counted. */
export const MAX_PENDING_HASHES = 300_000;
/** Queue size that triggers a flush before the next tick. */
export const FLUSH_AT_HASHES = 30_000;
/** Shared counts refreshed per tick at most (metric keys; every cluster key is refreshed). */
export const MAX_REFRESH_PER_TICK = 500;
/** Shared keys tracked per kind at most; past it new keys are judged on local counts. */
export const MAX_SHARED_KEYS = 50_000;

interface Share {
  readonly cluster: string | undefined;
  readonly metric: string | undefined;
  /** The fleet count at the last refresh (0 before any). */
  shared: number;
  /** This replica's admissions for the key, monotonic. */
  admitted: number;
  /** `admitted` when the last refresh was issued (after a flush). */
  base: number;
  /** Asked about since the last refresh: refresh it next tick. */
  isTouched: boolean;
  lastUsedMs: number;
}

export interface SharedBudgetOptions {
  readonly now: () => number;
  /** Active window per cluster (the fleet metric sets use `fleetWindowMs`). */
  readonly windowMsOf: (cluster: string) => number;
  readonly fleetWindowMs: () => number;
  /** Called with failures of background store calls (the limiter keeps working on local counts). */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** Counters for tests and self-metrics. */
export interface SharedBudgetStats {
  readonly pendingHashes: number;
  readonly droppedHashes: number;
  readonly flushes: number;
  readonly refreshes: number;
  readonly errors: number;
}

export class SharedBudget {
  private readonly _store: CardinalityStore;
  private readonly _options: SharedBudgetOptions;
  private readonly _clusters = new Map<string, Share>();
  private readonly _metrics = new Map<string, Share>();
  private readonly _fleet = new Map<string, Share>();
  private _pending = new Map<
    string,
    {
      cluster: string | undefined;
      metric: string | undefined;
      hashes: string[];
    }
  >();
  private _pendingCount = 0;
  private _droppedHashes = 0;
  private _flushes = 0;
  private _refreshes = 0;
  private _errors = 0;
  private _flushing: Promise<void> | undefined;
  private _ticking: Promise<void> | undefined;

  constructor(store: CardinalityStore, options: SharedBudgetOptions) {
    this._store = store;
    this._options = options;
  }

  get stats(): SharedBudgetStats {
    return {
      pendingHashes: this._pendingCount,
      droppedHashes: this._droppedHashes,
      flushes: this._flushes,
      refreshes: this._refreshes,
      errors: this._errors,
    };
  }

  /** The count a new series of `cluster` is judged by. */
  clusterCount(cluster: string, local: number): number {
    return effective(
      this._share(this._clusters, cluster, cluster, undefined),
      local
    );
  }

  /** The count a new series of `metric` in `cluster` is judged by. */
  metricCount(cluster: string, metric: string, local: number): number {
    return effective(
      this._share(this._metrics, `${cluster}\x00${metric}`, cluster, metric),
      local
    );
  }

  /** The count a new series of `metric` is judged by against the fleet budget. */
  fleetMetricCount(metric: string, local: number): number {
    return effective(
      this._share(this._fleet, metric, undefined, metric),
      local
    );
  }

  /**
   * Records an admitted series: counts it against the shared keys and queues
   * its hash. `metric` undefined (the overflow bucket) skips the metric sets.
   */
  admit(cluster: string, metric: string | undefined, hash: string): void {
    const c = this._clusters.get(cluster);
    if (c !== undefined) c.admitted++;
    if (metric !== undefined) {
      const m = this._metrics.get(`${cluster}\x00${metric}`);
      if (m !== undefined) m.admitted++;
      const f = this._fleet.get(metric);
      if (f !== undefined) f.admitted++;
    }
    this.publish(cluster, metric, hash);
  }

  /** Queues a hash for the cluster's sets (a republish of a series still active). */
  publish(cluster: string, metric: string | undefined, hash: string): void {
    const sets = metric === undefined ? 1 : 3;
    if (this._pendingCount + sets > MAX_PENDING_HASHES) {
      this._droppedHashes += sets;
      return;
    }
    this._queue(cluster, cluster, undefined, hash);
    if (metric !== undefined) {
      this._queue(`${cluster}\x00${metric}`, cluster, metric, hash);
      this._queue(`\x00${metric}`, undefined, metric, hash);
    }
    if (this._pendingCount >= FLUSH_AT_HASHES && this._flushing === undefined)
      void this.flush();
  }

  /** Sends the queued hashes (one flush in flight at a time). */
  flush(): Promise<void> {
    if (this._flushing !== undefined) return this._flushing;
    if (this._pendingCount === 0) return Promise.resolve();
    const pending = this._pending;
    this._pending = new Map();
    this._pendingCount = 0;
    const adds: CardinalitySketchAdd[] = [];
    for (const add of pending.values()) adds.push(add);
    this._flushing = this._store
      .addActiveSeries(adds, this._options.now())
      .then(
        () => {
          this._flushes++;
        },
        (err: unknown) => this._fail(err)
      )
      .finally(() => {
        this._flushing = undefined;
      });
    return this._flushing;
  }

  /** One background round: flush, then refresh the shared counts asked about. */
  tick(): Promise<void> {
    this._ticking ??= this._tick().finally(() => {
      this._ticking = undefined;
    });
    return this._ticking;
  }

  private async _tick(): Promise<void> {
    // A flush may already be in flight with hashes queued after its swap: wait, then send the rest.
    await this.flush();
    await this.flush();
    const nowMs = this._options.now();
    const refreshes: Promise<void>[] = [];
    for (const share of this._clusters.values())
      refreshes.push(this._refresh(share, nowMs));
    let budget = MAX_REFRESH_PER_TICK;
    for (const map of [this._metrics, this._fleet]) {
      for (const share of map.values()) {
        if (budget === 0) break;
        if (!share.isTouched) continue;
        budget--;
        refreshes.push(this._refresh(share, nowMs));
      }
    }
    await Promise.all(refreshes);
    this._forgetIdle(nowMs);
  }

  private async _refresh(share: Share, nowMs: number): Promise<void> {
    // Everything admitted up to here was flushed above, so the count includes it.
    const mark = share.admitted;
    share.isTouched = false;
    const windowMs =
      share.cluster === undefined
        ? this._options.fleetWindowMs()
        : this._options.windowMsOf(share.cluster);
    try {
      share.shared = await this._store.countActiveSeries(
        share.cluster,
        share.metric,
        windowMs,
        nowMs
      );
      share.base = mark;
      this._refreshes++;
    } catch (err) {
      share.isTouched = true;
      this._fail(err);
    }
  }

  /** Keys unused for two windows go: a returning key starts from local counts again. */
  private _forgetIdle(nowMs: number): void {
    const horizon = 2 * this._options.fleetWindowMs();
    for (const map of [this._clusters, this._metrics, this._fleet]) {
      for (const [key, share] of map)
        if (nowMs - share.lastUsedMs > horizon) map.delete(key);
    }
  }

  private _share(
    map: Map<string, Share>,
    key: string,
    cluster: string | undefined,
    metric: string | undefined
  ): Share | undefined {
    let share = map.get(key);
    const nowMs = this._options.now();
    if (share === undefined) {
      if (map.size >= MAX_SHARED_KEYS) return undefined;
      share = {
        cluster,
        metric,
        shared: 0,
        admitted: 0,
        base: 0,
        isTouched: true,
        lastUsedMs: nowMs,
      };
      map.set(key, share);
      return share;
    }
    share.isTouched = true;
    share.lastUsedMs = nowMs;
    return share;
  }

  private _queue(
    key: string,
    cluster: string | undefined,
    metric: string | undefined,
    hash: string
  ): void {
    let add = this._pending.get(key);
    if (add === undefined) {
      add = { cluster, metric, hashes: [] };
      this._pending.set(key, add);
    }
    add.hashes.push(hash);
    this._pendingCount++;
  }

  private _fail(err: unknown): void {
    this._errors++;
    this._options.onError?.(err);
  }
}

function effective(share: Share | undefined, local: number): number {
  if (share === undefined) return local;
  const shared = share.shared + share.admitted - share.base;
  return shared > local ? shared : local;
}
