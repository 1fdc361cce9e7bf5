/**
 * The shared StateStore over Redis (ioredis; standalone or Redis Cluster),
 * so that several replicas give the same answers. Keys: state-keys.ts;
 * Lua: redis-scripts.ts.
 *
 * - Active series: PFADD into per-bucket HyperLogLogs with a TTL of the
 *   retention plus two buckets, pipelined (one round trip per call; in
 *   Redis Cluster one pipeline per hash tag, sent together). A count is one
 *   PFCOUNT over the window's buckets (the union; standard error 0.81%).
 * - Token buckets and HA elections: one Lua script each (EVALSHA, EVAL on
 *   NOSCRIPT), atomic across replicas.
 * - Snapshots: one hash per kind, replicaId → `{p, t, e}` JSON; expired
 *   entries are filtered and deleted by the read script.
 *
 * Degraded mode (docs/architecture.md "State": a Redis outage never stops ingestion;
 * the machinery is redis-health-gate.ts, shared with RedisEventLog). The
 * client has no offline queue, a short command timeout and one retry, and
 * every call also has its own deadline, so a call never waits on Redis for
 * much longer than `commandTimeoutMs`. When Redis is down or a call fails,
 * the call is answered by a local MemoryStateStore instead, `health()` turns
 * degraded with the reason, and `onHealthChange` fires once per change of
 * `degraded`. While degraded, calls use the local store until the client is
 * ready again, and at most once a second one call probes Redis (for
 * failures that leave the connection up, such as timeouts).
 *
 * Convergence when Redis is back (its 'ready' event or a successful probe):
 * the series and snapshots recorded locally during the outage are replayed
 * into Redis (series into the buckets they were seen in, so windows stay
 * right; at most `maxDegradedSeries` series are recorded), then the store is
 * healthy again and every replica counts them. Calls made during the replay
 * still go local and are replayed right after. A failed replay is merged
 * back and retried on the next recovery. Token buckets and elections start
 * from Redis' state again (a local bucket's takes are forgotten, which errs
 * on admitting). While degraded, counts are the larger of the last shared
 * count (if younger than its window) and the local count, snapshot reads
 * merge the last shared read with local ones, and elections start from the
 * last leader Redis named, so an outage does not flip the HA leader.
 *
 * Why this file is long: about 600 lines, kept in one file, as every StateStore method is a pair of
 * a Lua-backed Redis call and its degraded local answer, and the pairs share
 * one connection, health gate and replay.
 */
import type { Redis } from 'ioredis';
import {
  ACTIVE_SERIES_BUCKET_MS,
  DEFAULT_ACTIVE_SERIES_RETENTION_MS,
  MAX_ACTIVE_SERIES_RETENTION_MS,
  bucketStartMs,
  retentionFor,
  windowBuckets,
} from './active-series-buckets.js';
import { MemoryStateStore } from './memory-state-store.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_GRACE_MS,
  RedisHealthGate,
  createRedisClient,
  withDeadline,
  type RedisClient,
  type RedisHealthSettings,
} from './redis-health-gate.js';
import {
  evalScript,
  HA_ELECTION_SCRIPT,
  PUBLISH_SNAPSHOT_SCRIPT,
  READ_SNAPSHOTS_SCRIPT,
  TOKEN_BUCKET_SCRIPT,
  type LuaScript,
} from './redis-scripts.js';
import {
  assertFailoverTimeout,
  assertFiniteTime,
  assertSnapshotTtl,
  assertTokenBucketArgs,
} from './state-args.js';
import { StateKeys } from './state-keys.js';
import type {
  HaElection,
  ReplicaSnapshot,
  SketchAdd,
  StateStore,
  StoreHealth,
  TokenBucketResult,
} from './state-store.js';

/** Also `commandTimeoutMs`, `connectGraceMs` and `onHealthChange` (RedisHealthSettings). */
export interface RedisStateStoreOptions extends RedisHealthSettings {
  /** `redis://` or `rediss://` URL of a standalone server (db in the path). */
  readonly url?: string;
  /**
   * Seed nodes of a Redis Cluster, `host:port` or `redis://host:port`.
   * When non-empty, the store is a cluster client and `url` is ignored.
   */
  readonly clusterNodes?: readonly string[];
  /** Prefix of every key (`state.key_prefix`); no `{` or `}`. */
  readonly keyPrefix: string;
  /** Most series recorded locally while degraded (bounds memory). Default 250000. */
  readonly maxDegradedSeries?: number;
  /**
   * Least retention of active-series buckets (their Redis TTL, less two
   * buckets). Grows to the largest window this replica has counted, up to
   * 24h. Set it when another replica counts windows longer than the
   * default (1h). Default DEFAULT_ACTIVE_SERIES_RETENTION_MS.
   */
  readonly activeSeriesRetentionMs?: number;
}

// Re-exported: index.ts and callers have always taken them from here.
export { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_GRACE_MS };
/** Series recorded locally during an outage, at most (about 40 MB). */
export const DEFAULT_MAX_DEGRADED_SERIES = 250_000;
/** Deadline of one replay pipeline (it may carry the whole outage). */
const REPLAY_DEADLINE_MS = 10_000;
/** Hashes per PFADD when replaying. */
const REPLAY_PFADD_CHUNK = 1000;
/** Snapshot keys outlive their longest entry by this much. */
const SNAPSHOT_KEY_TTL_SLACK_MS = 60_000;
/** Election keys outlive a lapsed lease by this much. */
const ELECTION_KEY_TTL_SLACK_MS = 60_000;
/** Remembered shared counts (degraded answers); cleared when full. */
const MAX_REMEMBERED_COUNTS = 10_000;

/** A pipeline of either client kind (they differ only in their context type). */
type Pipeline = ReturnType<Redis['pipeline']>;

interface RememberedCount {
  readonly count: number;
  readonly atMs: number;
}

interface RememberedSnapshot extends ReplicaSnapshot {
  readonly expiresAtMs: number;
}

/** StateStore shared through Redis, answering locally while Redis is away. */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  readonly isShared = true;

  private readonly _client: RedisClient;
  private readonly _gate: RedisHealthGate;
  private readonly _isCluster: boolean;
  private readonly _keys: StateKeys;
  private readonly _maxDegradedSeries: number;
  private readonly _retentionFloorMs: number;

  private _local: MemoryStateStore;
  /** Largest nowMs seen; the "now" of a replay. */
  private _lastNowMs = Number.NEGATIVE_INFINITY;
  private _largestWindowMs: number | undefined;
  private readonly _sharedCounts = new Map<string, RememberedCount>();
  private readonly _sharedSnapshots = new Map<string, RememberedSnapshot[]>();

  /** @throws when neither `url` nor `clusterNodes` is given, or the prefix is invalid. */
  constructor(options: RedisStateStoreOptions) {
    this._keys = new StateKeys(options.keyPrefix);
    this._maxDegradedSeries =
      options.maxDegradedSeries ?? DEFAULT_MAX_DEGRADED_SERIES;
    this._retentionFloorMs = Math.min(
      options.activeSeriesRetentionMs ?? DEFAULT_ACTIVE_SERIES_RETENTION_MS,
      MAX_ACTIVE_SERIES_RETENTION_MS
    );
    this._local = this._newLocal();

    const client = createRedisClient(options);
    if (client === undefined) {
      throw new Error(
        'cannot create the redis state store: give a url or cluster nodes'
      );
    }
    this._client = client;
    // A cluster client, as createRedisClient makes one for any seed node.
    this._isCluster = (options.clusterNodes ?? []).length > 0;
    this._gate = new RedisHealthGate({
      client,
      ownsClient: true,
      settings: options,
      recover: markHealthy => this._recover(markHealthy),
    });
  }

  health(): StoreHealth {
    return this._gate.health();
  }

  async addActiveSeries(
    adds: readonly SketchAdd[],
    nowMs: number
  ): Promise<void> {
    assertFiniteTime(nowMs);
    this._see(nowMs);
    await this._call(
      async () => {
        const ttlMs = this._hllTtlMs();
        const bucketMs = bucketStartMs(nowMs);
        const pipelines = new Map<string, Pipeline>();
        for (const add of adds) {
          if (add.hashes.length === 0) continue;
          const { key, tag } = this._keys.activeSeries(
            add.cluster,
            add.metric,
            bucketMs
          );
          this._pipelineFor(pipelines, tag)
            .pfadd(key, ...add.hashes)
            .pexpire(key, ttlMs);
        }
        await execAll(pipelines);
      },
      local => local.addActiveSeries(adds, nowMs)
    );
  }

  async countActiveSeries(
    cluster: string | undefined,
    metric: string | undefined,
    windowMs: number,
    nowMs: number
  ): Promise<number> {
    const { firstMs, lastMs } = windowBuckets(windowMs, nowMs);
    this._see(nowMs);
    if (
      this._largestWindowMs === undefined ||
      windowMs > this._largestWindowMs
    ) {
      this._largestWindowMs = windowMs;
    }
    const memoKey = JSON.stringify([cluster ?? null, metric ?? null, windowMs]);
    return this._call(
      async () => {
        // Buckets past the longest retention have expired anyway.
        const fromMs = Math.max(
          firstMs,
          lastMs - MAX_ACTIVE_SERIES_RETENTION_MS
        );
        const keys: string[] = [];
        for (let t = fromMs; t <= lastMs; t += ACTIVE_SERIES_BUCKET_MS) {
          keys.push(this._keys.activeSeries(cluster, metric, t).key);
        }
        const count = await this._client.pfcount(...keys);
        if (this._sharedCounts.size >= MAX_REMEMBERED_COUNTS)
          this._sharedCounts.clear();
        this._sharedCounts.set(memoKey, { count, atMs: nowMs });
        return count;
      },
      async local => {
        const count = await local.countActiveSeries(
          cluster,
          metric,
          windowMs,
          nowMs
        );
        const shared = this._sharedCounts.get(memoKey);
        const isFresh = shared !== undefined && nowMs - shared.atMs < windowMs;
        return isFresh ? Math.max(count, shared.count) : count;
      }
    );
  }

  async takeTokens(
    bucket: string,
    tokens: number,
    ratePerSecond: number,
    burst: number,
    nowMs: number
  ): Promise<TokenBucketResult> {
    assertTokenBucketArgs(tokens, ratePerSecond, burst, nowMs);
    this._see(nowMs);
    return this._call(
      async () => {
        const reply = await evalScript(
          this._client,
          TOKEN_BUCKET_SCRIPT,
          [this._keys.tokenBucket(bucket).key],
          [tokens, ratePerSecond, burst, nowMs]
        );
        const [allowed, left, retryAfterMs] = expectTuple(
          reply,
          3,
          TOKEN_BUCKET_SCRIPT
        );
        const isAllowed = Number(allowed) === 1;
        return {
          allowed: isAllowed,
          remaining: isAllowed ? Math.max(0, Math.floor(Number(left))) : 0,
          retryAfterMs: isAllowed ? 0 : Number(retryAfterMs),
        };
      },
      local => local.takeTokens(bucket, tokens, ratePerSecond, burst, nowMs)
    );
  }

  async electReplica(
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number
  ): Promise<HaElection> {
    assertFiniteTime(nowMs);
    assertFailoverTimeout(failoverTimeoutMs);
    this._see(nowMs);
    return this._call(
      async () => {
        const keyTtlMs =
          Math.ceil(failoverTimeoutMs * 2) + ELECTION_KEY_TTL_SLACK_MS;
        const reply = await evalScript(
          this._client,
          HA_ELECTION_SCRIPT,
          [this._keys.haElection(cluster).key],
          [replica, nowMs, failoverTimeoutMs, keyTtlMs]
        );
        const [leader, seen] = expectTuple(reply, 2, HA_ELECTION_SCRIPT);
        const leaderId = String(leader);
        // Mirrored so that, should Redis go away, the lease stays put.
        this._local.restoreElection(
          cluster,
          leaderId,
          Number(seen),
          failoverTimeoutMs
        );
        return { leader: leaderId, isLeader: leaderId === replica };
      },
      local => local.electReplica(cluster, replica, nowMs, failoverTimeoutMs)
    );
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
    this._see(nowMs);
    await this._call(
      async () => {
        await this._publish(
          kind,
          replicaId,
          payload,
          nowMs,
          nowMs + ttlMs,
          ttlMs
        );
      },
      local => local.publishSnapshot(kind, replicaId, payload, ttlMs, nowMs)
    );
  }

  async readSnapshots(kind: string, nowMs: number): Promise<ReplicaSnapshot[]> {
    assertFiniteTime(nowMs);
    this._see(nowMs);
    return this._call(
      async () => {
        const reply = await evalScript(
          this._client,
          READ_SNAPSHOTS_SCRIPT,
          [this._keys.snapshots(kind).key],
          [nowMs]
        );
        const remembered = parseSnapshots(reply);
        this._sharedSnapshots.set(kind, remembered);
        return remembered.map(toReplicaSnapshot);
      },
      async local => {
        const byReplica = new Map<string, ReplicaSnapshot>();
        for (const snapshot of this._sharedSnapshots.get(kind) ?? []) {
          if (snapshot.expiresAtMs > nowMs) {
            byReplica.set(snapshot.replicaId, toReplicaSnapshot(snapshot));
          }
        }
        for (const snapshot of await local.readSnapshots(kind, nowMs)) {
          const shared = byReplica.get(snapshot.replicaId);
          if (
            shared === undefined ||
            shared.publishedAtMs <= snapshot.publishedAtMs
          ) {
            byReplica.set(snapshot.replicaId, snapshot);
          }
        }
        return [...byReplica.values()].sort(compareReplicaIds);
      }
    );
  }

  /** Quits the connection (waits at most a second, then drops it). Idempotent. */
  async close(): Promise<void> {
    await this._gate.close();
    await this._local.close();
  }

  /**
   * Runs `remote` against Redis, or `local` against the local store of the
   * moment (a recovery swaps it) when Redis is unusable or `remote` fails.
   */
  private _call<T>(
    remote: () => Promise<T>,
    local: (store: MemoryStateStore) => Promise<T>
  ): Promise<T> {
    return this._gate.call(remote, () => local(this._local));
  }

  /**
   * Replays what was recorded locally during the outage, then marks the
   * store healthy (RedisHealthGate `recover`). Calls made during the replay
   * go local and are replayed right after.
   */
  private async _recover(markHealthy: () => void): Promise<void> {
    let journal = this._swapLocal();
    try {
      await this._replay(journal);
    } catch (err) {
      this._local.mergeFrom(journal, this._lastNowMs);
      throw err;
    }
    // No await from here to markHealthy: from now on calls use Redis, so
    // whatever is local now is all that the replay missed.
    journal = this._swapLocal();
    markHealthy();
    if (!journal.hasReplayableState()) return;
    try {
      await this._replay(journal);
    } catch (err) {
      this._local.mergeFrom(journal, this._lastNowMs);
      throw err;
    }
  }

  /** Swaps in a fresh local store and returns the old one. */
  private _swapLocal(): MemoryStateStore {
    const old = this._local;
    this._local = this._newLocal();
    return old;
  }

  /** Writes a local store's series and snapshots into Redis. */
  private async _replay(journal: MemoryStateStore): Promise<void> {
    const nowMs = this._lastNowMs;
    if (!journal.hasReplayableState() || !Number.isFinite(nowMs)) return;
    const retentionMs = this._hllTtlMs() - 2 * ACTIVE_SERIES_BUCKET_MS;
    const pipelines = new Map<string, Pipeline>();
    for (const bucket of journal.activeSeriesBuckets()) {
      // The TTL the key would have had if the adds had reached Redis.
      const ttlMs =
        bucket.bucketStartMs +
        retentionMs +
        2 * ACTIVE_SERIES_BUCKET_MS -
        nowMs;
      if (ttlMs <= 0) continue;
      const { key, tag } = this._keys.activeSeries(
        bucket.cluster,
        bucket.metric,
        bucket.bucketStartMs
      );
      const pipeline = this._pipelineFor(pipelines, tag);
      let chunk: string[] = [];
      for (const hash of bucket.hashes) {
        chunk.push(hash);
        if (chunk.length === REPLAY_PFADD_CHUNK) {
          pipeline.pfadd(key, ...chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) pipeline.pfadd(key, ...chunk);
      pipeline.pexpire(key, Math.ceil(ttlMs));
    }
    const writes: Promise<unknown>[] = [execAll(pipelines)];
    for (const snapshot of journal.storedSnapshots(nowMs)) {
      writes.push(
        this._publish(
          snapshot.kind,
          snapshot.replicaId,
          snapshot.payload,
          snapshot.publishedAtMs,
          snapshot.expiresAtMs,
          snapshot.expiresAtMs - nowMs
        )
      );
    }
    await withDeadline(Promise.all(writes), REPLAY_DEADLINE_MS);
  }

  private async _publish(
    kind: string,
    replicaId: string,
    payload: string,
    publishedAtMs: number,
    expiresAtMs: number,
    ttlMs: number
  ): Promise<void> {
    const entry = JSON.stringify({
      p: payload,
      t: publishedAtMs,
      e: expiresAtMs,
    });
    await evalScript(
      this._client,
      PUBLISH_SNAPSHOT_SCRIPT,
      [this._keys.snapshots(kind).key],
      [replicaId, entry, Math.ceil(ttlMs) + SNAPSHOT_KEY_TTL_SLACK_MS]
    );
  }

  /** One pipeline per call on a standalone server; one per hash tag on a cluster. */
  private _pipelineFor(
    pipelines: Map<string, Pipeline>,
    tag: string
  ): Pipeline {
    const group = this._isCluster ? tag : '';
    let pipeline = pipelines.get(group);
    if (pipeline === undefined) {
      pipeline = this._client.pipeline();
      pipelines.set(group, pipeline);
    }
    return pipeline;
  }

  /** TTL of an active-series bucket key: retention plus two buckets. */
  private _hllTtlMs(): number {
    const retentionMs = Math.max(
      this._retentionFloorMs,
      this._largestWindowMs === undefined
        ? 0
        : retentionFor(this._largestWindowMs)
    );
    return retentionMs + 2 * ACTIVE_SERIES_BUCKET_MS;
  }

  private _newLocal(): MemoryStateStore {
    return new MemoryStateStore({ maxSeries: this._maxDegradedSeries });
  }

  private _see(nowMs: number): void {
    if (nowMs > this._lastNowMs) this._lastNowMs = nowMs;
  }
}

/** Runs every pipeline; rejects with the first command error. */
async function execAll(pipelines: Map<string, Pipeline>): Promise<void> {
  const results = await Promise.all(
    [...pipelines.values()].map(pipeline => pipeline.exec())
  );
  for (const result of results) {
    if (result === null) throw new Error('pipeline aborted');
    for (const [err] of result) if (err !== null) throw err;
  }
}

function expectTuple(
  reply: unknown,
  length: number,
  script: LuaScript
): unknown[] {
  if (!Array.isArray(reply) || reply.length !== length) {
    throw new Error(
      `cannot read the reply of script ${script.name}: want ${length} values, got ${JSON.stringify(reply)}`
    );
  }
  return reply as unknown[];
}

/** The flat `[replicaId, json, …]` of the read script → snapshots sorted by replicaId. */
function parseSnapshots(reply: unknown): RememberedSnapshot[] {
  if (!Array.isArray(reply)) {
    throw new Error(
      `cannot read snapshots: want an array, got ${typeof reply}`
    );
  }
  const out: RememberedSnapshot[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const entry = JSON.parse(String(reply[i + 1])) as {
      p: string;
      t: number;
      e: number;
    };
    out.push({
      replicaId: String(reply[i]),
      payload: entry.p,
      publishedAtMs: entry.t,
      expiresAtMs: entry.e,
    });
  }
  return out.sort(compareReplicaIds);
}

function toReplicaSnapshot(snapshot: ReplicaSnapshot): ReplicaSnapshot {
  return {
    replicaId: snapshot.replicaId,
    payload: snapshot.payload,
    publishedAtMs: snapshot.publishedAtMs,
  };
}

function compareReplicaIds(a: ReplicaSnapshot, b: ReplicaSnapshot): number {
  return a.replicaId < b.replicaId ? -1 : a.replicaId > b.replicaId ? 1 : 0;
}
