/**
 * The fleet's Kubernetes events: taps normalized log records, keeps the
 * events in the event log (deduplicated per cluster there), counts them,
 * tracks recent warnings by reason, and answers the events API.
 */
import type { Registry } from 'prom-client';
import type { LogRecordView } from './log-record-view.js';
import {
  WARNING_EVENT_TYPE,
  type KubernetesEvent,
} from './kubernetes-event.js';
import type { EventQuery, EventStore } from './event-store.js';
import { extractKubernetesEvents } from './extract-kubernetes-events.js';
import {
  KubernetesEventMetrics,
  eventTypeLabel,
} from './kubernetes-event-metrics.js';
import {
  WarningReasonWindow,
  type RecentWarnings,
} from './warning-reason-window.js';

export interface KubernetesEventServiceOptions {
  /** The event log (memory or Redis; see state/event-log.ts). */
  readonly store: EventStore;
  /** Where the event metrics go (the gateway's self-metrics registry). */
  readonly registry: Registry;
  /** Wall clock in ms; injected for tests. Default Date.now. */
  readonly now?: () => number;
  /** How far back recent warnings reach. Default 1 h. */
  readonly recentWarningsWindowMs?: number;
  /** Reasons listed by recentWarnings(). Default 10. */
  readonly topWarningReasons?: number;
  /** Distinct warning reasons tracked per cluster. Default 50. */
  readonly maxWarningReasonsPerCluster?: number;
}

/** What one observe() or record() did. */
export interface EventIngestResult {
  /** Events found in the input. */
  readonly events: number;
  /** Of those, appended as new. */
  readonly appended: number;
  /** Of those, dropped as already known. */
  readonly duplicates: number;
}

export class KubernetesEventService {
  private readonly _store: EventStore;
  private readonly _now: () => number;
  private readonly _warnings: WarningReasonWindow;
  private readonly _metrics: KubernetesEventMetrics;

  /** @throws when the registry already holds the event metrics. */
  constructor(options: KubernetesEventServiceOptions) {
    this._store = options.store;
    this._now = options.now ?? Date.now;
    this._warnings = new WarningReasonWindow({
      ...(options.recentWarningsWindowMs === undefined
        ? {}
        : { windowMs: options.recentWarningsWindowMs }),
      ...(options.topWarningReasons === undefined
        ? {}
        : { topReasons: options.topWarningReasons }),
      ...(options.maxWarningReasonsPerCluster === undefined
        ? {}
        : { maxReasonsPerCluster: options.maxWarningReasonsPerCluster }),
    });
    this._metrics = new KubernetesEventMetrics(
      options.registry,
      this._warnings,
      this._now
    );
  }

  /**
   * The logs pipeline's tap: keeps the Kubernetes events among `records`
   * of `cluster` (the sender's canonical cluster). Other records are left
   * alone. Never rejects for a store failure (the store degrades instead).
   */
  async observe(
    records: Iterable<LogRecordView>,
    cluster: string
  ): Promise<EventIngestResult> {
    const nowMs = this._now();
    return this._record(
      extractKubernetesEvents(records, cluster, nowMs),
      nowMs
    );
  }

  /** Keeps already-normalized events (e.g. from another event source). */
  async record(events: readonly KubernetesEvent[]): Promise<EventIngestResult> {
    return this._record(events, this._now());
  }

  /** The events API's read (EventStore.read semantics). */
  query(query: EventQuery): Promise<KubernetesEvent[]> {
    return this._store.read(query);
  }

  /**
   * Warning events of `cluster` by reason since `sinceMs` (one-minute
   * resolution, at most the recent-warnings window), top reasons first.
   */
  recentWarnings(cluster: string, sinceMs: number): RecentWarnings {
    return this._warnings.recent(cluster, sinceMs);
  }

  private async _record(
    events: readonly KubernetesEvent[],
    nowMs: number
  ): Promise<EventIngestResult> {
    if (events.length === 0) return { events: 0, appended: 0, duplicates: 0 };
    const result = await this._store.append(events, nowMs);
    for (const event of result.appended) {
      this._metrics.events.inc({
        cluster: event.cluster,
        type: eventTypeLabel(event.type),
      });
      if (event.type === WARNING_EVENT_TYPE)
        this._warnings.record(
          event.cluster,
          event.reason,
          event.lastSeenMs,
          nowMs
        );
    }
    if (result.duplicates > 0) this._countDuplicates(events, result);
    return {
      events: events.length,
      appended: result.appended.length,
      duplicates: result.duplicates,
    };
  }

  /** Duplicates by cluster: each cluster's input less its appended events. */
  private _countDuplicates(
    events: readonly KubernetesEvent[],
    result: { readonly appended: readonly KubernetesEvent[] }
  ): void {
    const byCluster = new Map<string, number>();
    for (const event of events)
      byCluster.set(event.cluster, (byCluster.get(event.cluster) ?? 0) + 1);
    for (const event of result.appended)
      byCluster.set(event.cluster, byCluster.get(event.cluster)! - 1);
    for (const [cluster, count] of byCluster) {
      if (count > 0) this._metrics.deduplicated.inc({ cluster }, count);
    }
  }
}
