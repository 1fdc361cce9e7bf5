/**
 * The in-process StateStore: the default for one replica, and the local
 * fallback of the Redis store while Redis is unreachable.
 *
 * Active series are exact (one ActiveSeriesSet per set, per-bucket
 * partitions by latest add). Buckets older than the largest window asked so
 * far are dropped, at most MAX_ACTIVE_SERIES_RETENTION_MS and, before any
 * count, DEFAULT_ACTIVE_SERIES_RETENTION_MS; `maxSeries` bounds memory.
 * Token buckets, elections and snapshots are plain maps, swept lazily of
 * entries that are equivalent to absent ones (full buckets, lapsed leases,
 * expired snapshots).
 *
 * Every method takes `nowMs`; nothing here reads a clock or starts a timer.
 */
import {
  bucketStartMs,
  retentionFor,
  windowBuckets,
} from './active-series-buckets.js';
import { ActiveSeriesSet } from './active-series-set.js';
import {
  assertFailoverTimeout,
  assertFiniteTime,
  assertSnapshotTtl,
  assertTokenBucketArgs,
} from './state-args.js';
import type {
  HaElection,
  ReplicaSnapshot,
  SketchAdd,
  StateStore,
  StoreHealth,
  TokenBucketResult,
} from './state-store.js';
import {
  msUntilFull,
  takeFromTokenBucket,
  type TokenBucketState,
} from './token-bucket.js';

export interface MemoryStateStoreOptions {
  /**
   * Most distinct series held over all sets together. Adds of series new to
   * a set are not recorded past it (counts then undercount, never throw).
   * Default: unbounded.
   */
  readonly maxSeries?: number;
}

/** One bucket of one active-series set, as handed to a replay. */
export interface ActiveSeriesBucket {
  readonly cluster: string | undefined;
  readonly metric: string | undefined;
  readonly bucketStartMs: number;
  /** Live view; valid until the next add to this store. */
  readonly hashes: ReadonlySet<string>;
}

/** A live snapshot with its expiry, as handed to a replay. */
export interface StoredSnapshot extends ReplicaSnapshot {
  readonly kind: string;
  readonly expiresAtMs: number;
}

interface TokenBucketEntry {
  state: TokenBucketState;
  /** From then on the bucket is full, the same as a forgotten one. */
  fullAtMs: number;
}

interface ElectionEntry {
  leader: string;
  lastSeenMs: number;
  /** After this, any asker takes over: the same as no entry. */
  lapsesAtMs: number;
}

/** Token-bucket takes between sweeps of full buckets. */
const TOKEN_BUCKET_SWEEP_EVERY = 1024;

const HEALTHY: StoreHealth = Object.freeze({ degraded: false });

/** Exact, single-process StateStore. */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  readonly isShared = false;

  private readonly _maxSeries: number;
  private readonly _sets = new Map<string, ActiveSeriesSet>();
  private _seriesHeld = 0;
  private _seriesDropped = 0;
  private _largestWindowMs: number | undefined;
  /** Bucket of the last sweep of all sets; sweeps run once per bucket. */
  private _sweptBucketMs = Number.NEGATIVE_INFINITY;
  private readonly _tokenBuckets = new Map<string, TokenBucketEntry>();
  private _takesSinceSweep = 0;
  private readonly _elections = new Map<string, ElectionEntry>();
  /** kind → replicaId → snapshot */
  private readonly _snapshots = new Map<string, Map<string, StoredSnapshot>>();

  constructor(options: MemoryStateStoreOptions = {}) {
    this._maxSeries = options.maxSeries ?? Number.POSITIVE_INFINITY;
  }

  health(): StoreHealth {
    return HEALTHY;
  }

  /** Distinct series held over all sets. */
  get seriesHeld(): number {
    return this._seriesHeld;
  }

  /** Adds of new series refused by `maxSeries` since construction. */
  get seriesDropped(): number {
    return this._seriesDropped;
  }

  async addActiveSeries(
    adds: readonly SketchAdd[],
    nowMs: number
  ): Promise<void> {
    assertFiniteTime(nowMs);
    const bucketMs = bucketStartMs(nowMs);
    this._sweep(nowMs);
    for (const add of adds) {
      this._addToSet(add.cluster, add.metric, add.hashes, bucketMs);
    }
  }

  async countActiveSeries(
    cluster: string | undefined,
    metric: string | undefined,
    windowMs: number,
    nowMs: number
  ): Promise<number> {
    const { firstMs, lastMs } = windowBuckets(windowMs, nowMs);
    if (
      this._largestWindowMs === undefined ||
      windowMs > this._largestWindowMs
    ) {
      this._largestWindowMs = windowMs;
    }
    const set = this._sets.get(setKey(cluster, metric));
    return set === undefined ? 0 : set.count(firstMs, lastMs);
  }

  async takeTokens(
    bucket: string,
    tokens: number,
    ratePerSecond: number,
    burst: number,
    nowMs: number
  ): Promise<TokenBucketResult> {
    assertTokenBucketArgs(tokens, ratePerSecond, burst, nowMs);
    if (++this._takesSinceSweep >= TOKEN_BUCKET_SWEEP_EVERY) {
      this._takesSinceSweep = 0;
      for (const [name, entry] of this._tokenBuckets) {
        if (entry.fullAtMs <= nowMs) this._tokenBuckets.delete(name);
      }
    }
    const entry = this._tokenBuckets.get(bucket);
    const { state, result } = takeFromTokenBucket(
      entry?.state,
      tokens,
      ratePerSecond,
      burst,
      nowMs
    );
    const fullAtMs =
      state.lastRefillMs + msUntilFull(state, ratePerSecond, burst);
    if (entry === undefined)
      this._tokenBuckets.set(bucket, { state, fullAtMs });
    else {
      entry.state = state;
      entry.fullAtMs = fullAtMs;
    }
    return result;
  }

  async electReplica(
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number
  ): Promise<HaElection> {
    assertFiniteTime(nowMs);
    assertFailoverTimeout(failoverTimeoutMs);
    this._sweep(nowMs);
    const entry = this._elections.get(cluster);
    // Mimir's HA tracker: take over only once the leader has been silent for
    // strictly longer than the timeout.
    if (
      entry === undefined ||
      (entry.leader !== replica && nowMs - entry.lastSeenMs > failoverTimeoutMs)
    ) {
      this._elections.set(cluster, {
        leader: replica,
        lastSeenMs: nowMs,
        lapsesAtMs: nowMs + failoverTimeoutMs,
      });
      return { leader: replica, isLeader: true };
    }
    if (entry.leader === replica) {
      if (nowMs > entry.lastSeenMs) entry.lastSeenMs = nowMs;
      entry.lapsesAtMs = entry.lastSeenMs + failoverTimeoutMs;
      return { leader: replica, isLeader: true };
    }
    return { leader: entry.leader, isLeader: false };
  }

  /**
   * Records `leader` as last seen at `lastSeenMs`, as told by a shared store
   * (the Redis store mirrors its answers here so that an outage does not
   * hand the lease to whichever replica asks first).
   */
  restoreElection(
    cluster: string,
    leader: string,
    lastSeenMs: number,
    failoverTimeoutMs: number
  ): void {
    this._elections.set(cluster, {
      leader,
      lastSeenMs,
      lapsesAtMs: lastSeenMs + failoverTimeoutMs,
    });
  }

  async publishSnapshot(
    kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void> {
    assertFiniteTime(nowMs);
    assertSnapshotTtl(ttlMs);
    let byReplica = this._snapshots.get(kind);
    if (byReplica === undefined) {
      byReplica = new Map();
      this._snapshots.set(kind, byReplica);
    }
    byReplica.set(replicaId, {
      kind,
      replicaId,
      payload,
      publishedAtMs: nowMs,
      expiresAtMs: nowMs + ttlMs,
    });
  }

  /** Live snapshots sorted by replicaId; a snapshot expires at `publishedAtMs + ttlMs`. */
  async readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]> {
    assertFiniteTime(nowMs);
    const out: ReplicaSnapshot[] = [];
    for (const snapshot of this._liveSnapshots(kind, nowMs)) {
      out.push({
        replicaId: snapshot.replicaId,
        payload: snapshot.payload,
        publishedAtMs: snapshot.publishedAtMs,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    this._sets.clear();
    this._seriesHeld = 0;
    this._tokenBuckets.clear();
    this._elections.clear();
    this._snapshots.clear();
  }

  /** True when there are series or snapshots a shared store has not seen. */
  hasReplayableState(): boolean {
    return this._seriesHeld > 0 || this._snapshots.size > 0;
  }

  /** Every non-empty active-series bucket held (for a replay into a shared store). */
  *activeSeriesBuckets(): IterableIterator<ActiveSeriesBucket> {
    for (const set of this._sets.values()) {
      for (const [bucketMs, hashes] of set.buckets()) {
        yield {
          cluster: set.cluster,
          metric: set.metric,
          bucketStartMs: bucketMs,
          hashes,
        };
      }
    }
  }

  /** Every live snapshot of every kind, with its expiry (for a replay). */
  *storedSnapshots(nowMs: number): IterableIterator<StoredSnapshot> {
    for (const kind of [...this._snapshots.keys()]) {
      yield* this._liveSnapshots(kind, nowMs);
    }
  }

  /**
   * Takes in `other`'s active series (each series keeps its latest bucket)
   * and those of its snapshots live at `nowMs` that are newer than this
   * store's. Used to put back a replay that failed.
   */
  mergeFrom(other: MemoryStateStore, nowMs: number): void {
    for (const bucket of other.activeSeriesBuckets()) {
      this._addToSet(
        bucket.cluster,
        bucket.metric,
        [...bucket.hashes],
        bucket.bucketStartMs
      );
    }
    for (const snapshot of other.storedSnapshots(nowMs)) {
      let byReplica = this._snapshots.get(snapshot.kind);
      if (byReplica === undefined) {
        byReplica = new Map();
        this._snapshots.set(snapshot.kind, byReplica);
      }
      const mine = byReplica.get(snapshot.replicaId);
      if (mine === undefined || mine.publishedAtMs < snapshot.publishedAtMs) {
        byReplica.set(snapshot.replicaId, snapshot);
      }
    }
  }

  private _addToSet(
    cluster: string | undefined,
    metric: string | undefined,
    hashes: readonly string[],
    bucketMs: number
  ): void {
    const key = setKey(cluster, metric);
    let set = this._sets.get(key);
    if (set === undefined) {
      set = new ActiveSeriesSet(cluster, metric);
      this._sets.set(key, set);
    }
    // Indexed loop: a batch adds thousands of hashes per set.
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i]!;
      if (this._seriesHeld >= this._maxSeries && !set.has(hash)) {
        this._seriesDropped++;
        continue;
      }
      if (set.add(hash, bucketMs)) this._seriesHeld++;
    }
  }

  /**
   * Once per bucket: drops active-series buckets past retention, sets left
   * empty and lapsed elections.
   */
  private _sweep(nowMs: number): void {
    const bucketMs = bucketStartMs(nowMs);
    if (bucketMs <= this._sweptBucketMs) return;
    this._sweptBucketMs = bucketMs;
    const oldestKeptMs = bucketStartMs(
      nowMs - retentionFor(this._largestWindowMs) + 1
    );
    for (const [key, set] of this._sets) {
      this._seriesHeld -= set.prune(oldestKeptMs);
      if (set.size === 0) this._sets.delete(key);
    }
    for (const [cluster, entry] of this._elections) {
      if (entry.lapsesAtMs < nowMs) this._elections.delete(cluster);
    }
  }

  /** Live snapshots of one kind, sorted by replicaId; deletes expired ones. */
  private _liveSnapshots(kind: string, nowMs: number): StoredSnapshot[] {
    const byReplica = this._snapshots.get(kind);
    if (byReplica === undefined) return [];
    const live: StoredSnapshot[] = [];
    for (const [replicaId, snapshot] of byReplica) {
      if (snapshot.expiresAtMs > nowMs) live.push(snapshot);
      else byReplica.delete(replicaId);
    }
    if (byReplica.size === 0) this._snapshots.delete(kind);
    return live.sort(compareReplicaIds);
  }
}

/** Map key of one set; JSON keeps `undefined` apart from any string. */
function setKey(
  cluster: string | undefined,
  metric: string | undefined
): string {
  return JSON.stringify([cluster ?? null, metric ?? null]);
}

function compareReplicaIds(a: ReplicaSnapshot, b: ReplicaSnapshot): number {
  return a.replicaId < b.replicaId ? -1 : a.replicaId > b.replicaId ? 1 : 0;
}
