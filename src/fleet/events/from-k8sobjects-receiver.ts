/**
 * The k8sobjects receiver's log records for the `events` resource (contrib
 * receiver/k8sobjectsreceiver/unstructured_to_logdata.go; PROTOCOLS.md
 * §2.10). The body is a kvlist of the whole object:
 *
 * - watch mode: `{type: ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, object: {…}}`,
 *   attributes `k8s.resource.name: events`, `event.domain: k8s`,
 *   `event.name: <object name>`;
 * - pull mode: the object itself, attribute `k8s.resource.name: events`;
 *   the end of each pull is a record with body
 *   `{type: PullEnd, object: {kind: <resource name>}}` (not an event);
 * - resource `k8s.namespace.name` (the Event's namespace); only the
 *   observed time is set.
 *
 * The object is a core/v1 Event (`group` unset) or an events.k8s.io/v1 one:
 *
 * | field              | core/v1                                | events.k8s.io/v1 |
 * | ------------------ | -------------------------------------- | ---------------- |
 * | object             | involvedObject{kind,name,namespace}    | regarding{…}     |
 * | message            | message                                | note             |
 * | count              | count, series.count                    | series.count, deprecatedCount |
 * | first seen         | firstTimestamp, eventTime              | deprecatedFirstTimestamp, eventTime |
 * | last seen          | lastTimestamp, series.lastObservedTime | series.lastObservedTime, deprecatedLastTimestamp |
 * | component          | reportingComponent, source.component   | reportingController, deprecatedSource.component |
 * | type, reason, uid, resourceVersion | type, reason, metadata.uid, metadata.resourceVersion | same |
 *
 * Only ADDED and MODIFIED (and pulled objects) are occurrences: DELETED is
 * the Event expiring (its TTL, 1 h by default), not something happening.
 */
import {
  asInteger,
  asString,
  findValue,
  isKeyValueList,
  mapField,
  type AnyValueView,
  type KeyValueListView,
  type LogRecordView,
} from './log-record-view.js';
import {
  MAX_EVENT_UID_CHARS,
  type KubernetesEvent,
} from './kubernetes-event.js';
import { parseKubernetesTimeMs } from './parse-kubernetes-time.js';
import {
  clipMessage,
  clipText,
  eventVersion,
  firstTime,
  latestTime,
} from './event-fields.js';

export const K8S_RESOURCE_NAME = 'k8s.resource.name';
const EVENT_KIND = 'Event';
const EVENTS_RESOURCE = 'events';
/** Watch types that report an occurrence. */
const OCCURRENCE_WATCH_TYPES = new Set(['ADDED', 'MODIFIED']);

/** What a k8sobjects record holds, when it holds a Kubernetes Event. */
export interface K8sObjectsEventBody {
  /** The Event object. */
  readonly object: KeyValueListView;
  /** The watch type (ADDED, …); undefined in pull mode. */
  readonly watchType: string | undefined;
}

/**
 * The Event object inside a k8sobjects record, or undefined when the record
 * is not one (another resource, the PullEnd marker, an app log).
 */
export function k8sObjectsEventBody(
  record: LogRecordView
): K8sObjectsEventBody | undefined {
  const body = record.body;
  if (!isKeyValueList(body)) return undefined;
  // A pulled core/v1 Event has a string `type` too ("Normal"), but never
  // an `object` map.
  const inner = findValue(body.kvlist, 'object');
  const watchType = asString(findValue(body.kvlist, 'type'));
  const isWatch = isKeyValueList(inner) && watchType !== undefined;
  const object = isWatch ? inner : body;
  if (!isEventObject(object, record)) return undefined;
  return { object, watchType: isWatch ? watchType : undefined };
}

/**
 * The event a k8sobjects record carries. Undefined when the record holds
 * no Event, or an Event that is not an occurrence (a watch DELETED).
 * `nowMs` stands in for a record with no usable time at all.
 */
export function fromK8sObjectsReceiver(
  record: LogRecordView,
  cluster: string,
  nowMs: number
): KubernetesEvent | undefined {
  const found = k8sObjectsEventBody(record);
  if (found === undefined) return undefined;
  if (
    found.watchType !== undefined &&
    !OCCURRENCE_WATCH_TYPES.has(found.watchType)
  ) {
    return undefined;
  }
  const obj = found.object;
  const metadata = mapField(obj, 'metadata');
  const series = mapField(obj, 'series');
  const involved =
    mapField(obj, 'involvedObject') ?? mapField(obj, 'regarding');

  const count = largestCount(
    asInteger(mapField(obj, 'count')),
    asInteger(mapField(series, 'count')),
    asInteger(mapField(obj, 'deprecatedCount'))
  );
  const created = timeField(metadata, 'creationTimestamp');
  const eventTime = timeField(obj, 'eventTime');
  const firstCandidate = firstTime(
    timeField(obj, 'firstTimestamp'),
    timeField(obj, 'deprecatedFirstTimestamp'),
    eventTime,
    created
  );
  const lastSeenMs =
    latestTime(
      timeField(series, 'lastObservedTime'),
      timeField(obj, 'lastTimestamp'),
      timeField(obj, 'deprecatedLastTimestamp'),
      eventTime
    ) ??
    firstCandidate ??
    firstTime(record.timeUnixMs, record.observedTimeUnixMs) ??
    nowMs;
  const firstSeenMs =
    firstCandidate !== undefined && firstCandidate <= lastSeenMs
      ? firstCandidate
      : lastSeenMs;
  // The involved object's namespace ('' when cluster-scoped, e.g. a Node),
  // as the k8s_events receiver reports it; the Event's own namespace only
  // when the reference is missing.
  const namespace =
    involved !== undefined
      ? asString(mapField(involved, 'namespace'))
      : (asString(mapField(metadata, 'namespace')) ??
        asString(findValue(record.resourceAttributes, 'k8s.namespace.name')));

  return {
    cluster,
    uid: asString(mapField(metadata, 'uid'))!,
    version: eventVersion(
      count,
      asString(mapField(metadata, 'resourceVersion')),
      lastSeenMs
    ),
    type: clipText(asString(mapField(obj, 'type'))),
    reason: clipText(asString(mapField(obj, 'reason'))),
    namespace: clipText(namespace),
    object: {
      kind: clipText(asString(mapField(involved, 'kind'))),
      name: clipText(asString(mapField(involved, 'name'))),
    },
    count: count ?? 1,
    firstSeenMs,
    lastSeenMs,
    message: clipMessage(
      nonEmpty(asString(mapField(obj, 'message'))) ??
        asString(mapField(obj, 'note'))
    ),
    reportingComponent: clipText(
      nonEmpty(asString(mapField(obj, 'reportingComponent'))) ??
        nonEmpty(asString(mapField(obj, 'reportingController'))) ??
        nonEmpty(asString(mapField(mapField(obj, 'source'), 'component'))) ??
        asString(mapField(mapField(obj, 'deprecatedSource'), 'component'))
    ),
  };
}

/**
 * An Event object: `kind: Event` (or, when a processor stripped the kind,
 * a record of the `events` resource) with a usable `metadata.uid`.
 */
function isEventObject(
  object: KeyValueListView,
  record: LogRecordView
): boolean {
  const kind = asString(findValue(object.kvlist, 'kind'));
  const isEventKind =
    kind === EVENT_KIND ||
    (kind === undefined &&
      asString(findValue(record.attributes, K8S_RESOURCE_NAME)) ===
        EVENTS_RESOURCE);
  if (!isEventKind) return false;
  const uid = asString(mapField(findValue(object.kvlist, 'metadata'), 'uid'));
  return uid !== undefined && uid !== '' && uid.length <= MAX_EVENT_UID_CHARS;
}

function timeField(
  map: AnyValueView | undefined,
  key: string
): number | undefined {
  const text = asString(mapField(map, key));
  return text === undefined ? undefined : parseKubernetesTimeMs(text);
}

/** The largest positive count, or undefined when none is (core/v1 omits 0). */
function largestCount(
  ...counts: readonly (number | undefined)[]
): number | undefined {
  let largest: number | undefined;
  for (const count of counts) {
    if (
      count !== undefined &&
      count > 0 &&
      (largest === undefined || count > largest)
    )
      largest = count;
  }
  return largest;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}
