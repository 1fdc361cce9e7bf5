/**
 * The event service's metrics, on the registry it is given. Label values
 * are bounded: `cluster` is the sender's canonical cluster (registry names
 * or the caller's `unregistered` fold), `type` is one of KNOWN_EVENT_TYPES
 * or `other`, and `reason` is one of a cluster's top reasons or `_other`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { KNOWN_EVENT_TYPES } from './kubernetes-event.js';
import {
  OTHER_WARNING_REASON,
  type WarningReasonWindow,
} from './warning-reason-window.js';

/** `type` label of an event type outside KNOWN_EVENT_TYPES. */
export const OTHER_EVENT_TYPE_LABEL = 'other';

export class KubernetesEventMetrics {
  /** `fleetgate_k8s_events_total{cluster,type}`: new events appended. */
  readonly events: Counter<'cluster' | 'type'>;
  /** `fleetgate_k8s_events_deduplicated_total{cluster}`: events dropped as already known. */
  readonly deduplicated: Counter<'cluster'>;
  /** `fleetgate_k8s_warning_events_recent{cluster,reason}`: computed on scrape. */
  readonly recentWarnings: Gauge<'cluster' | 'reason'>;

  /**
   * @param warnings read on every scrape, over its whole window before `now()`.
   * @throws when the registry already holds these metrics (one service per registry).
   */
  constructor(
    registry: Registry,
    warnings: WarningReasonWindow,
    now: () => number
  ) {
    const registers = [registry];
    this.events = new Counter({
      name: 'fleetgate_k8s_events_total',
      help: 'Kubernetes events appended to the event log (new uid and count or version), by cluster and type.',
      labelNames: ['cluster', 'type'],
      registers,
    });
    this.deduplicated = new Counter({
      name: 'fleetgate_k8s_events_deduplicated_total',
      help: 'Kubernetes events dropped because the log already held them (a second collector, a re-list or a watch restart), by cluster.',
      labelNames: ['cluster'],
      registers,
    });
    this.recentWarnings = new Gauge({
      name: 'fleetgate_k8s_warning_events_recent',
      help: `Warning events observed in the last ${Math.round(warnings.windowMs / 60_000)}m, by cluster and reason (top reasons; the rest under reason="${OTHER_WARNING_REASON}").`,
      labelNames: ['cluster', 'reason'],
      registers,
      collect(this: Gauge<'cluster' | 'reason'>) {
        this.reset();
        const sinceMs = now() - warnings.windowMs;
        for (const cluster of warnings.clusters()) {
          const recent = warnings.recent(cluster, sinceMs);
          for (const { reason, count } of recent.reasons)
            this.set({ cluster, reason }, count);
          if (recent.other > 0)
            this.set({ cluster, reason: OTHER_WARNING_REASON }, recent.other);
        }
      },
    });
  }
}

/** The `type` label of an event type. */
export function eventTypeLabel(type: string): string {
  return KNOWN_EVENT_TYPES.includes(type) ? type : OTHER_EVENT_TYPE_LABEL;
}
