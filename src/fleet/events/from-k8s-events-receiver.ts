/**
 * The k8s_events receiver's log records (contrib
 * receiver/k8seventsreceiver/k8s_event_to_logdata.go @c274a00; PROTOCOLS.md
 * §2.10), one record per core/v1 Event:
 *
 * | where      | key                          | from the Event                        |
 * | ---------- | ---------------------------- | ------------------------------------- |
 * | resource   | `k8s.node.name`              | source.host                           |
 * | resource   | `k8s.object.kind` / `.name`  | involvedObject.kind / .name           |
 * | resource   | `k8s.object.uid`, `.fieldpath`, `.api_version`, `.resource_version` | involvedObject.* |
 * | attributes | `k8s.event.reason`           | reason                                |
 * | attributes | `k8s.event.action`           | action                                |
 * | attributes | `k8s.event.start_time`       | metadata.creationTimestamp, Go `String()` text |
 * | attributes | `k8s.event.name` / `.uid`    | metadata.name / .uid                  |
 * | attributes | `k8s.namespace.name`         | involvedObject.namespace              |
 * | attributes | `k8s.event.count` (int)      | count, only when ≠ 0                  |
 * | body       | string                       | message                               |
 * | severity   | text = type; number INFO 9, WARN 13, ERROR 17, FATAL 21 | type (Normal, Warning, Error, Critical) |
 * | time       | time_unix_nano               | eventTime, else lastTimestamp, else firstTimestamp |
 *
 * `k8s.object.resource_version` is the involved object's version, not the
 * Event's, so with no count the dedupe version falls back to the time.
 * Receivers before the `k8s.object.*` attributes (2022) put the reporting
 * component in resource `k8s.event.source`; it is read when present.
 */
import {
  asInteger,
  asString,
  findValue,
  type LogRecordView,
} from './log-record-view.js';
import {
  KNOWN_EVENT_TYPES,
  MAX_EVENT_UID_CHARS,
  type KubernetesEvent,
} from './kubernetes-event.js';
import { parseKubernetesTimeMs } from './parse-kubernetes-time.js';
import {
  clipMessage,
  clipText,
  eventVersion,
  firstTime,
} from './event-fields.js';

export const K8S_EVENT_UID = 'k8s.event.uid';
export const K8S_EVENT_REASON = 'k8s.event.reason';
export const K8S_EVENT_NAME = 'k8s.event.name';
export const K8S_EVENT_COUNT = 'k8s.event.count';
export const K8S_EVENT_START_TIME = 'k8s.event.start_time';
export const K8S_NAMESPACE_NAME = 'k8s.namespace.name';
export const K8S_OBJECT_KIND = 'k8s.object.kind';
export const K8S_OBJECT_NAME = 'k8s.object.name';
const K8S_EVENT_SOURCE = 'k8s.event.source';

/**
 * Whether a record has the k8s_events receiver's shape: a non-empty
 * `k8s.event.uid` attribute, a reason or event name, and a string (or
 * empty) body.
 */
export function isK8sEventsReceiverRecord(record: LogRecordView): boolean {
  const uid = asString(findValue(record.attributes, K8S_EVENT_UID));
  if (uid === undefined || uid === '' || uid.length > MAX_EVENT_UID_CHARS)
    return false;
  if (typeof record.body !== 'string' && record.body !== null) return false;
  return (
    findValue(record.attributes, K8S_EVENT_REASON) !== undefined ||
    findValue(record.attributes, K8S_EVENT_NAME) !== undefined
  );
}

/**
 * The event a k8s_events record carries, or undefined when the record does
 * not have that shape. `nowMs` stands in for a record with no time at all.
 */
export function fromK8sEventsReceiver(
  record: LogRecordView,
  cluster: string,
  nowMs: number
): KubernetesEvent | undefined {
  if (!isK8sEventsReceiverRecord(record)) return undefined;
  const attrs = record.attributes;
  const resource = record.resourceAttributes;
  const rawCount = asInteger(findValue(attrs, K8S_EVENT_COUNT));
  const count = rawCount !== undefined && rawCount > 0 ? rawCount : undefined;
  const lastSeenMs =
    firstTime(record.timeUnixMs, record.observedTimeUnixMs) ?? nowMs;
  const startText = asString(findValue(attrs, K8S_EVENT_START_TIME));
  const startMs =
    startText === undefined ? undefined : parseKubernetesTimeMs(startText);
  return {
    cluster,
    uid: asString(findValue(attrs, K8S_EVENT_UID))!,
    version: eventVersion(count, undefined, lastSeenMs),
    type: clipText(eventTypeOf(record)),
    reason: clipText(asString(findValue(attrs, K8S_EVENT_REASON))),
    namespace: clipText(asString(findValue(attrs, K8S_NAMESPACE_NAME))),
    object: {
      kind: clipText(asString(findValue(resource, K8S_OBJECT_KIND))),
      name: clipText(asString(findValue(resource, K8S_OBJECT_NAME))),
    },
    count: count ?? 1,
    // The creation time is the first occurrence; a record's time may be
    // eventTime (the first one too), so neither is after the other.
    firstSeenMs:
      startMs !== undefined && startMs <= lastSeenMs ? startMs : lastSeenMs,
    lastSeenMs,
    message: clipMessage(
      typeof record.body === 'string' ? record.body : undefined
    ),
    reportingComponent: clipText(
      asString(findValue(resource, K8S_EVENT_SOURCE))
    ),
  };
}

/**
 * The Event's type: the severity text when it names a known type (the
 * receiver sets it only then), else the type the severity number stands
 * for, else the text as is.
 */
function eventTypeOf(record: LogRecordView): string {
  const text = record.severityText;
  const lower = text.toLowerCase();
  for (const type of KNOWN_EVENT_TYPES) {
    if (type.toLowerCase() === lower) return type;
  }
  const n = record.severityNumber;
  if (n >= 9 && n <= 12) return 'Normal';
  if (n >= 13 && n <= 16) return 'Warning';
  if (n >= 17 && n <= 20) return 'Error';
  if (n >= 21 && n <= 24) return 'Critical';
  return text;
}
