/**
 * This gateway replica's view of the HA elections, so the steady state asks
 * the shared store almost never. The store holds the truth (one leader per
 * cluster and its lease, renewed whenever the leader asks); the cache only
 * answers when it cannot disagree with the store, or when being briefly
 * behind is harmless. Mimir's distributors do the same with their KV cache
 * and `ha_tracker_update_timeout` (PROTOCOLS.md §2.15).
 *
 * Per cluster it remembers the leader, when this gateway's own store call
 * last renewed the leader's lease (`renewedAtMs`), and when it last asked
 * (`checkedAtMs`). With T the failover timeout:
 *
 * - the leader is accepted from the cache while its lease was renewed here
 *   less than T/3 ago; then one request asks the store, renewing the lease.
 *   This is exact: a failover needs a lease older than T, and ours is newer.
 *   So a leader costs one store call per T/3 (10 s by default).
 * - another replica is refused from the cache while the leader's lease was
 *   renewed here less than T ago (it cannot have expired: exact again); past
 *   that, when the leader's samples go elsewhere or stopped, it asks the
 *   store at most once per FOLLOWER_RECHECK_MS, so a failover is seen at
 *   most that late. A follower whose leader sends through this gateway
 *   (the routing docs/architecture.md asks for) costs no store call at all.
 * - concurrent asks for the same (cluster, replica) share one store call.
 *
 * Because leases are renewed every T/3 rather than on every request, the
 * other replica takes over between 2T/3 and T after the leader's last
 * sample, as in Mimir (update timeout 15 s, failover 30 s). Times are the
 * requests' receive times; gateway replicas' clocks are assumed close
 * (well under T/3).
 */

/** One election's answer, as the store gives it. */
export interface ReplicaElection {
  /** The elected replica of the cluster. */
  readonly leader: string;
  /** Whether the asking replica is the leader (its lease was renewed). */
  readonly isLeader: boolean;
}

/**
 * What the HA deduplicator needs of the state store. `StateStore` satisfies
 * it; stages declare their own seam because they do not import state/
 * (STYLE rule 2, enforced by lint).
 */
export interface ReplicaElectionStore {
  /**
   * Elects a leader for `cluster` atomically across gateway replicas: the
   * first replica to ask wins, the leader's asks renew its lease, another
   * replica takes over once the lease is older than `failoverTimeoutMs`.
   */
  electReplica(
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number
  ): Promise<ReplicaElection>;
}

/** Longest a follower is refused from the cache without asking the store. */
export const FOLLOWER_RECHECK_MS = 1000;

/** Clusters remembered; only anonymous (loopback) senders can name more. */
const MAX_CACHED_CLUSTERS = 10_000;

interface CachedElection {
  leader: string;
  /** When a store call from here last renewed `leader`'s lease; -Infinity when never. */
  renewedAtMs: number;
  /** When the store was last asked about this cluster. */
  checkedAtMs: number;
}

export class HaElectionCache {
  private readonly _store: ReplicaElectionStore;
  private readonly _failoverTimeoutMs: number;
  private readonly _renewIntervalMs: number;
  private readonly _recheckMs: number;
  private readonly _cache = new Map<string, CachedElection>();
  private readonly _pending = new Map<string, Promise<ReplicaElection>>();

  /** @param failoverTimeoutMs how long a silent leader keeps its lease. */
  constructor(store: ReplicaElectionStore, failoverTimeoutMs: number) {
    this._store = store;
    this._failoverTimeoutMs = failoverTimeoutMs;
    this._renewIntervalMs = failoverTimeoutMs / 3;
    this._recheckMs = Math.min(FOLLOWER_RECHECK_MS, this._renewIntervalMs);
  }

  /**
   * The election for `replica` of `cluster` at `nowMs`: from the cache when
   * it is safe, else a promise of the store's answer (which updates the
   * cache). Sync when cached, so the steady state adds no promise per request.
   */
  elect(
    cluster: string,
    replica: string,
    nowMs: number
  ): ReplicaElection | Promise<ReplicaElection> {
    const entry = this._cache.get(cluster);
    if (entry !== undefined) {
      if (replica === entry.leader) {
        if (nowMs - entry.renewedAtMs < this._renewIntervalMs)
          return { leader: entry.leader, isLeader: true };
      } else if (
        nowMs - entry.renewedAtMs < this._failoverTimeoutMs ||
        nowMs - entry.checkedAtMs < this._recheckMs
      ) {
        return { leader: entry.leader, isLeader: false };
      }
    }
    const key = `${cluster}\x00${replica}`;
    const pending = this._pending.get(key);
    if (pending !== undefined) return pending;
    const asking = this._ask(cluster, replica, nowMs, key);
    this._pending.set(key, asking);
    return asking;
  }

  private async _ask(
    cluster: string,
    replica: string,
    nowMs: number,
    key: string
  ): Promise<ReplicaElection> {
    try {
      const election = await this._store.electReplica(
        cluster,
        replica,
        nowMs,
        this._failoverTimeoutMs
      );
      this._remember(cluster, election, nowMs);
      return election;
    } finally {
      this._pending.delete(key);
    }
  }

  private _remember(
    cluster: string,
    election: ReplicaElection,
    nowMs: number
  ): void {
    let entry = this._cache.get(cluster);
    if (entry === undefined) {
      if (this._cache.size >= MAX_CACHED_CLUSTERS) {
        // Maps iterate in insertion order: forget the oldest cluster.
        const oldest = this._cache.keys().next();
        if (oldest.done !== true) this._cache.delete(oldest.value);
      }
      entry = {
        leader: election.leader,
        renewedAtMs: -Infinity,
        checkedAtMs: nowMs,
      };
      this._cache.set(cluster, entry);
    } else if (nowMs >= entry.checkedAtMs) {
      if (entry.leader !== election.leader) {
        entry.leader = election.leader;
        entry.renewedAtMs = -Infinity;
      }
      entry.checkedAtMs = nowMs;
    } else if (entry.leader !== election.leader) {
      // An answer older than what the cache knows (requests overlapped): keep the newer view.
      return;
    }
    if (election.isLeader && nowMs > entry.renewedAtMs)
      entry.renewedAtMs = nowMs;
  }
}
