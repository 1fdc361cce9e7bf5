/**
 * A Kubernetes event as fleetgate keeps it: one observation of one Event
 * object (core/v1 or events.k8s.io/v1) of one cluster, whichever collector
 * receiver carried it. The API renders it as docs/architecture.md's event JSON shape
 * (api/routes/events.ts); times stay numbers until then.
 */

/** The object an event is about (`involvedObject` / `regarding`). */
export interface KubernetesObjectRef {
  readonly kind: string;
  readonly name: string;
}

export interface KubernetesEvent {
  /** Canonical cluster name, from the sender's identity (never from the event). */
  readonly cluster: string;
  /** `metadata.uid` of the Event object. */
  readonly uid: string;
  /**
   * What tells two observations of one event apart, for deduplication:
   * `count:N` when the event carries a count, else `rv:R` (the Event's
   * resourceVersion), else `time:MS` (its last-seen time). Two collectors
   * watching the same cluster produce equal versions for the same update.
   */
  readonly version: string;
  /** `type`: Normal or Warning (events.k8s.io allows others); '' when unset. */
  readonly type: string;
  readonly reason: string;
  /** Namespace of the involved object; '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly object: KubernetesObjectRef;
  /** How many times it happened (1 when the event carries no count). */
  readonly count: number;
  /** First occurrence, ms since the epoch. */
  readonly firstSeenMs: number;
  /** Latest occurrence, ms since the epoch (>= firstSeenMs). */
  readonly lastSeenMs: number;
  readonly message: string;
  /** `reportingComponent` / `reportingController` / `source.component`; '' when unknown. */
  readonly reportingComponent: string;
}

/** The event types Kubernetes and the k8s_events receiver know (PROTOCOLS.md §2.10). */
export const KNOWN_EVENT_TYPES: readonly string[] = [
  'Normal',
  'Warning',
  'Error',
  'Critical',
];

/** The type whose events feed the fleet view's recent warnings. */
export const WARNING_EVENT_TYPE = 'Warning';

/** Longest uid kept; Kubernetes uids are 36-character UUIDs. */
export const MAX_EVENT_UID_CHARS = 128;
/** Longest message kept (events.k8s.io caps `note` at 1 kB); longer ones are cut. */
export const MAX_EVENT_MESSAGE_CHARS = 4096;
/** Longest reason, kind, name, namespace, type or component kept. */
export const MAX_EVENT_FIELD_CHARS = 256;
