/**
 * The event log: recent Kubernetes events per cluster, capped, deduplicated
 * on (cluster, uid, version), read newest first. One interface, two
 * implementations (event-log-memory.ts, event-log-redis.ts) and one
 * contract suite (test/contract/event-log.contract.ts), like StateStore.
 *
 * The query semantics (EventStore.read in fleet/events/event-store.ts) are
 * implemented once here, so the memory log and the Redis log's fallback
 * answer exactly alike; the Redis read script mirrors `selectLatest`.
 */
import type {
  EventQuery,
  EventStore,
  KubernetesEvent,
} from '../fleet/index.js';
import type { StoreHealth } from './state-store.js';

/** Observations kept per cluster (the Redis stream's MAXLEN ~). */
export const DEFAULT_MAX_EVENTS_PER_CLUSTER = 1000;
/**
 * How long an observation's dedupe key lives. Longer than an Event lives in
 * the API server after its last update (`--event-ttl`, 1 h by default) and
 * than the k8sobjects pull interval (60 m by default), so a re-list or a
 * watch restart never re-appends what was seen.
 */
export const DEFAULT_EVENT_DEDUPE_TTL_MS = 3 * 60 * 60_000;
/** Dedupe keys held in memory at most (LRU beyond it). */
export const DEFAULT_MAX_EVENT_DEDUPE_KEYS = 100_000;

/** EventStore plus the lifecycle of a state backend. */
export interface EventLog extends EventStore {
  readonly kind: 'memory' | 'redis';
  /** Whether other replicas share this log. */
  readonly isShared: boolean;
  health(): StoreHealth;
  /** Releases the backend; idempotent. */
  close(): Promise<void>;
}

/** @throws RangeError unless `limit` is an integer >= 1 and `sinceMs`, when given, is finite. */
export function assertEventQuery(query: EventQuery): void {
  if (!Number.isInteger(query.limit) || query.limit < 1) {
    throw new RangeError(
      `cannot read events: limit must be an integer >= 1, got ${query.limit}`
    );
  }
  if (query.sinceMs !== undefined && !Number.isFinite(query.sinceMs)) {
    throw new RangeError(
      `cannot read events: sinceMs must be finite, got ${query.sinceMs}`
    );
  }
}

/** @throws RangeError unless a positive integer option. */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `cannot create the event log: ${name} must be an integer >= 1, got ${value}`
    );
  }
}

/** The dedupe identity of an event within its cluster. */
export function dedupeKeyOf(event: KubernetesEvent): string {
  return `${event.uid}\u0000${event.version}`;
}

/** Whether an event passes a query's filters (clusters aside). */
export function matchesEventQuery(
  event: KubernetesEvent,
  query: EventQuery
): boolean {
  return (
    (query.type === undefined || event.type === query.type) &&
    (query.reason === undefined || event.reason === query.reason) &&
    (query.namespace === undefined || event.namespace === query.namespace) &&
    (query.sinceMs === undefined || event.lastSeenMs >= query.sinceMs)
  );
}

/**
 * One cluster's answer: of `newestFirst` (observations, latest appended
 * first), those matching `query`, the best per uid (highest count, then
 * latest lastSeenMs, then latest appended), by lastSeenMs descending
 * (ties: latest appended first), at most `query.limit`.
 */
export function selectLatest(
  newestFirst: Iterable<KubernetesEvent>,
  query: EventQuery
): KubernetesEvent[] {
  const best = new Map<string, { event: KubernetesEvent; rank: number }>();
  let rank = 0;
  for (const event of newestFirst) {
    rank++;
    if (!matchesEventQuery(event, query)) continue;
    const prev = best.get(event.uid);
    if (
      prev === undefined ||
      event.count > prev.event.count ||
      (event.count === prev.event.count &&
        event.lastSeenMs > prev.event.lastSeenMs)
    ) {
      best.set(event.uid, { event, rank });
    }
  }
  return [...best.values()]
    .sort((a, b) => b.event.lastSeenMs - a.event.lastSeenMs || a.rank - b.rank)
    .slice(0, query.limit)
    .map(entry => entry.event);
}

/**
 * The answer over clusters: each cluster's `selectLatest` merged by
 * lastSeenMs descending, ties by cluster name, at most `limit`.
 */
export function mergeClusterAnswers(
  answers: ReadonlyMap<string, readonly KubernetesEvent[]>,
  limit: number
): KubernetesEvent[] {
  const clusters = [...answers.keys()].sort();
  const all: KubernetesEvent[] = [];
  for (const cluster of clusters) all.push(...answers.get(cluster)!);
  // Stable: equal times keep cluster order, then each cluster's own order.
  return all.sort((a, b) => b.lastSeenMs - a.lastSeenMs).slice(0, limit);
}

/** The distinct clusters of a query. */
export function queryClusters(query: EventQuery): string[] {
  return [...new Set(query.clusters)];
}
