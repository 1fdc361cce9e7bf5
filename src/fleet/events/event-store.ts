/**
 * What the event service needs of the event log. `EventLog`
 * (state/event-log.ts: memory and Redis) extends it; the seam is declared
 * here so that fleet/ owns the event model and state/ stores it.
 */
import type { KubernetesEvent } from './kubernetes-event.js';

/** A read of the log: filters are ANDed; absent means any. */
export interface EventQuery {
  /**
   * The clusters to read (one, or the registry's whole list for "all
   * clusters": a store cannot list clusters cheaply). Empty reads nothing.
   */
  readonly clusters: readonly string[];
  /** Exact `type` (Normal, Warning, …). */
  readonly type?: string | undefined;
  /** Exact `reason`. */
  readonly reason?: string | undefined;
  /** Exact namespace of the involved object ('' = cluster-scoped objects). */
  readonly namespace?: string | undefined;
  /** Only events last seen at or after this time (ms since the epoch). */
  readonly sinceMs?: number | undefined;
  /** Most events returned, >= 1. */
  readonly limit: number;
}

export interface EventAppendResult {
  /** The events that were new, in input order (duplicates left out). */
  readonly appended: readonly KubernetesEvent[];
  /** Events already in the log (same cluster, uid and version), or repeated in the input. */
  readonly duplicates: number;
}

export interface EventStore {
  /**
   * Appends the events that are not yet known: an event is a duplicate when
   * an event of the same cluster with the same uid and version was appended
   * (by any replica, for a shared store) within the dedupe TTL. Atomic per
   * cluster across replicas. Never rejects for a backend failure.
   *
   * @throws RangeError when `nowMs` is not finite.
   */
  append(
    events: readonly KubernetesEvent[],
    nowMs: number
  ): Promise<EventAppendResult>;

  /**
   * The latest state of each matching event, newest first: among the newest
   * `maxEventsPerCluster` appended observations of each cluster, those that
   * pass the filters, collapsed per uid to the one with the highest count
   * (then the latest lastSeenMs, then the latest appended), ordered by
   * lastSeenMs descending (ties: cluster name ascending, then latest
   * appended first), at most `limit`. Never rejects for a backend failure.
   *
   * @throws RangeError when `limit` is not an integer >= 1 or `sinceMs` is not finite.
   */
  read(query: EventQuery): Promise<KubernetesEvent[]>;
}
