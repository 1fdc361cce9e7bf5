/**
 * The event log in this process: a ring of the newest observations per
 * cluster and an LRU of dedupe keys with expiry. The default log (one
 * replica), and the Redis log's local fallback while Redis is away.
 */
import type {
  EventAppendResult,
  EventQuery,
  KubernetesEvent,
} from '../fleet/index.js';
import {
  DEFAULT_EVENT_DEDUPE_TTL_MS,
  DEFAULT_MAX_EVENTS_PER_CLUSTER,
  DEFAULT_MAX_EVENT_DEDUPE_KEYS,
  assertEventQuery,
  assertPositiveInteger,
  dedupeKeyOf,
  mergeClusterAnswers,
  queryClusters,
  selectLatest,
  type EventLog,
} from './event-log.js';
import { assertFiniteTime } from './state-args.js';
import type { StoreHealth } from './state-store.js';

export interface MemoryEventLogOptions {
  /** Observations kept per cluster; older ones are dropped. Default 1000. */
  readonly maxEventsPerCluster?: number;
  /** Lifetime of a dedupe key, from its first append. Default 3 h. */
  readonly dedupeTtlMs?: number;
  /** Dedupe keys held at most; the least recently seen go first. Default 100000. */
  readonly maxDedupeKeys?: number;
}

const HEALTHY: StoreHealth = Object.freeze({ degraded: false });

/** A fixed-size ring of one cluster's observations. */
class EventRing {
  private readonly _slots: (KubernetesEvent | undefined)[];
  /** Index of the next write. */
  private _next = 0;
  private _size = 0;

  constructor(capacity: number) {
    this._slots = new Array<KubernetesEvent | undefined>(capacity);
  }

  push(event: KubernetesEvent): void {
    this._slots[this._next] = event;
    this._next = (this._next + 1) % this._slots.length;
    if (this._size < this._slots.length) this._size++;
  }

  /** Latest pushed first. */
  *newestFirst(): Generator<KubernetesEvent> {
    const capacity = this._slots.length;
    for (let i = 1; i <= this._size; i++) {
      yield this._slots[(this._next - i + capacity) % capacity]!;
    }
  }

  get size(): number {
    return this._size;
  }
}

/** EventLog held in this process; never degraded. */
export class MemoryEventLog implements EventLog {
  readonly kind = 'memory' as const;
  readonly isShared = false;

  private readonly _maxEventsPerCluster: number;
  private readonly _dedupeTtlMs: number;
  private readonly _maxDedupeKeys: number;
  private readonly _byCluster = new Map<string, EventRing>();
  /**
   * `cluster \0 uid \0 version` → expiry ms. Map order is recency: a key
   * seen again moves to the end, and the first key is evicted when full.
   */
  private readonly _seen = new Map<string, number>();

  /** @throws RangeError when an option is not a positive integer. */
  constructor(options: MemoryEventLogOptions = {}) {
    this._maxEventsPerCluster =
      options.maxEventsPerCluster ?? DEFAULT_MAX_EVENTS_PER_CLUSTER;
    this._dedupeTtlMs = options.dedupeTtlMs ?? DEFAULT_EVENT_DEDUPE_TTL_MS;
    this._maxDedupeKeys =
      options.maxDedupeKeys ?? DEFAULT_MAX_EVENT_DEDUPE_KEYS;
    assertPositiveInteger('maxEventsPerCluster', this._maxEventsPerCluster);
    assertPositiveInteger('dedupeTtlMs', this._dedupeTtlMs);
    assertPositiveInteger('maxDedupeKeys', this._maxDedupeKeys);
  }

  health(): StoreHealth {
    return HEALTHY;
  }

  // async: a bad argument rejects, as in every EventLog.
  async append(
    events: readonly KubernetesEvent[],
    nowMs: number
  ): Promise<EventAppendResult> {
    assertFiniteTime(nowMs);
    const appended: KubernetesEvent[] = [];
    let duplicates = 0;
    for (const event of events) {
      const key = `${event.cluster}\u0000${dedupeKeyOf(event)}`;
      const expiresAtMs = this._seen.get(key);
      if (expiresAtMs !== undefined) {
        // Refresh recency only; the lifetime runs from the first append,
        // as Redis' SET NX PX does.
        this._seen.delete(key);
        if (expiresAtMs > nowMs) {
          this._seen.set(key, expiresAtMs);
          duplicates++;
          continue;
        }
      }
      this._seen.set(key, nowMs + this._dedupeTtlMs);
      if (this._seen.size > this._maxDedupeKeys) this._evictOldest();
      this._ring(event.cluster).push(event);
      appended.push(event);
    }
    return { appended, duplicates };
  }

  async read(query: EventQuery): Promise<KubernetesEvent[]> {
    assertEventQuery(query);
    const answers = new Map<string, KubernetesEvent[]>();
    for (const cluster of queryClusters(query)) {
      const ring = this._byCluster.get(cluster);
      if (ring !== undefined)
        answers.set(cluster, selectLatest(ring.newestFirst(), query));
    }
    return mergeClusterAnswers(answers, query.limit);
  }

  /** Dedupe keys held (expired ones included until evicted). */
  get dedupeKeysHeld(): number {
    return this._seen.size;
  }

  /** Observations held for one cluster. */
  eventsHeld(cluster: string): number {
    return this._byCluster.get(cluster)?.size ?? 0;
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  private _ring(cluster: string): EventRing {
    let ring = this._byCluster.get(cluster);
    if (ring === undefined) {
      ring = new EventRing(this._maxEventsPerCluster);
      this._byCluster.set(cluster, ring);
    }
    return ring;
  }

  /** Drops the least recently seen key (expired keys are older than most). */
  private _evictOldest(): void {
    for (const key of this._seen.keys()) {
      this._seen.delete(key);
      return;
    }
  }
}
