export {
  findValue,
  mapField,
  isKeyValueList,
  asString,
  asInteger,
  type AnyValueView,
  type KeyValueView,
  type KeyValueListView,
  type LogRecordView,
} from './log-record-view.js';
export {
  KNOWN_EVENT_TYPES,
  WARNING_EVENT_TYPE,
  MAX_EVENT_UID_CHARS,
  MAX_EVENT_MESSAGE_CHARS,
  MAX_EVENT_FIELD_CHARS,
  type KubernetesEvent,
  type KubernetesObjectRef,
} from './kubernetes-event.js';
export {
  parseRfc3339Ms,
  parseKubernetesTimeMs,
  isEventTimeMs,
} from './parse-kubernetes-time.js';
export {
  fromK8sEventsReceiver,
  isK8sEventsReceiverRecord,
} from './from-k8s-events-receiver.js';
export {
  fromK8sObjectsReceiver,
  k8sObjectsEventBody,
  type K8sObjectsEventBody,
} from './from-k8sobjects-receiver.js';
export {
  detectKubernetesEventShape,
  extractKubernetesEvents,
  toKubernetesEvent,
  type KubernetesEventShape,
} from './extract-kubernetes-events.js';
export type {
  EventAppendResult,
  EventQuery,
  EventStore,
} from './event-store.js';
export {
  WarningReasonWindow,
  OTHER_WARNING_REASON,
  WARNING_BUCKET_MS,
  DEFAULT_WARNING_WINDOW_MS,
  type RecentWarnings,
  type WarningReasonCount,
} from './warning-reason-window.js';
export {
  KubernetesEventMetrics,
  OTHER_EVENT_TYPE_LABEL,
  eventTypeLabel,
} from './kubernetes-event-metrics.js';
export {
  KubernetesEventService,
  type EventIngestResult,
  type KubernetesEventServiceOptions,
} from './kubernetes-event-service.js';
export {
  LogBatchEventsObserver,
  type EventSightings,
} from './log-batch-events-observer.js';
