/**
 * Test fixtures: log records built the way the OpenTelemetry Collector's
 * receivers build them from Kubernetes Event objects (contrib
 * k8seventsreceiver/k8s_event_to_logdata.go @c274a00 and
 * k8sobjectsreceiver/unstructured_to_logdata.go), plus realistic Event
 * objects as the API server serves them. Test-only: nothing in src/ imports
 * this outside tests.
 */
import type {
  AnyValueView,
  KeyValueView,
  LogRecordView,
} from '../../src/fleet/events/log-record-view.js';

/** An Event object as JSON from the API server (core/v1 or events.k8s.io/v1). */
export type RawObject = { readonly [key: string]: unknown };

/**
 * A JSON value as pdata `Map.FromRaw` stores it: integers as int (bigint
 * here, as the OTLP decoders give them), other numbers as double, null as
 * an empty value, objects as kvlists (key order kept).
 */
export function toAnyValue(raw: unknown): AnyValueView {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return Number.isInteger(raw) ? BigInt(raw) : raw;
  if (Array.isArray(raw)) return raw.map(toAnyValue);
  if (typeof raw === 'object') {
    return {
      kvlist: Object.entries(raw as RawObject).map(([key, value]) => ({
        key,
        value: toAnyValue(value),
      })),
    };
  }
  throw new TypeError(`cannot convert ${typeof raw} to an AnyValue`);
}

/** Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.5 +0000 UTC`. */
export function goTimeString(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.500Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function obj(value: unknown): RawObject {
  return typeof value === 'object' && value !== null
    ? (value as RawObject)
    : {};
}

function timeMs(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : 0;
}

const SEVERITY: Readonly<Record<string, number>> = {
  normal: 9,
  warning: 13,
  error: 17,
  critical: 21,
};

/** The k8s_events receiver's record for a core/v1 Event. */
export function k8sEventsRecord(event: RawObject): LogRecordView {
  const metadata = obj(event['metadata']);
  const involved = obj(event['involvedObject']);
  const source = obj(event['source']);
  const type = str(event['type']);
  const severity = SEVERITY[type.toLowerCase()];
  // k8sinventory.GetEventTimestamp: EventTime, else LastTimestamp, else FirstTimestamp.
  const timeUnixMs =
    timeMs(event['eventTime']) ||
    timeMs(event['lastTimestamp']) ||
    timeMs(event['firstTimestamp']);
  const attributes: KeyValueView[] = [
    { key: 'k8s.event.reason', value: str(event['reason']) },
    { key: 'k8s.event.action', value: str(event['action']) },
    {
      key: 'k8s.event.start_time',
      value: goTimeString(timeMs(metadata['creationTimestamp'])),
    },
    { key: 'k8s.event.name', value: str(metadata['name']) },
    { key: 'k8s.event.uid', value: str(metadata['uid']) },
    { key: 'k8s.namespace.name', value: str(involved['namespace']) },
  ];
  const count = typeof event['count'] === 'number' ? event['count'] : 0;
  if (count !== 0)
    attributes.push({ key: 'k8s.event.count', value: BigInt(count) });
  return {
    resourceAttributes: [
      { key: 'k8s.node.name', value: str(source['host']) },
      { key: 'k8s.object.kind', value: str(involved['kind']) },
      { key: 'k8s.object.name', value: str(involved['name']) },
      { key: 'k8s.object.uid', value: str(involved['uid']) },
      { key: 'k8s.object.fieldpath', value: str(involved['fieldPath']) },
      { key: 'k8s.object.api_version', value: str(involved['apiVersion']) },
      {
        key: 'k8s.object.resource_version',
        value: str(involved['resourceVersion']),
      },
    ],
    attributes,
    body: str(event['message']),
    severityText: severity === undefined ? '' : type,
    severityNumber: severity ?? 0,
    timeUnixMs,
    observedTimeUnixMs: 0,
  };
}

function k8sObjectsRecord(
  body: RawObject,
  object: RawObject,
  observedMs: number,
  extra: readonly KeyValueView[]
): LogRecordView {
  const namespace = str(obj(object['metadata'])['namespace']);
  return {
    resourceAttributes:
      namespace === '' ? [] : [{ key: 'k8s.namespace.name', value: namespace }],
    attributes: [{ key: 'k8s.resource.name', value: 'events' }, ...extra],
    body: toAnyValue(body),
    severityText: '',
    severityNumber: 0,
    timeUnixMs: 0,
    observedTimeUnixMs: observedMs,
  };
}

/** The k8sobjects receiver's record for a watch event on `events`. */
export function k8sObjectsWatchRecord(
  watchType: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR',
  object: RawObject,
  observedMs: number
): LogRecordView {
  const name = str(obj(object['metadata'])['name']);
  return k8sObjectsRecord(
    { type: watchType, object },
    object,
    observedMs,
    name === ''
      ? []
      : [
          { key: 'event.domain', value: 'k8s' },
          { key: 'event.name', value: name },
        ]
  );
}

/** The k8sobjects receiver's record for one pulled `events` object. */
export function k8sObjectsPullRecord(
  object: RawObject,
  observedMs: number
): LogRecordView {
  return k8sObjectsRecord(object, object, observedMs, []);
}

/** The record k8sobjects emits at the end of a pull. */
export function k8sObjectsPullEndRecord(observedMs: number): LogRecordView {
  return {
    resourceAttributes: [],
    attributes: [],
    body: toAnyValue({ type: 'PullEnd', object: { kind: 'events' } }),
    severityText: '',
    severityNumber: 0,
    timeUnixMs: 0,
    observedTimeUnixMs: observedMs,
  };
}

/** An application log line (what most records are). */
export function appLogRecord(
  body: AnyValueView,
  timeUnixMs: number
): LogRecordView {
  return {
    resourceAttributes: [
      { key: 'k8s.namespace.name', value: 'payments' },
      { key: 'k8s.pod.name', value: 'api-7d9f8-x2k4q' },
      { key: 'service.name', value: 'api' },
    ],
    attributes: [{ key: 'log.iostream', value: 'stdout' }],
    body,
    severityText: 'INFO',
    severityNumber: 9,
    timeUnixMs,
    observedTimeUnixMs: timeUnixMs,
  };
}

/** 2030-01-01T00:00:00Z. */
export const EVENT_T0 = Date.UTC(2030, 0, 1);
/** RFC 3339 at second precision (metav1.Time), as the API server writes it. */
const iso = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 19)}Z`;
/** RFC 3339 at microsecond precision (metav1.MicroTime); parses back to `ms`. */
export const microTime = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 23)}456Z`;

export interface CoreEventOptions {
  readonly uid?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly kind?: string;
  readonly objectName?: string;
  /** Omitted (0) when not given > 0. */
  readonly count?: number;
  readonly firstMs?: number;
  readonly lastMs?: number;
  readonly component?: string;
  readonly reportingComponent?: string;
  readonly host?: string;
}

/** A core/v1 Event like the kubelet records (a crash-looping container by default). */
export function coreEvent(options: CoreEventOptions = {}): RawObject {
  const namespace = options.namespace ?? 'payments';
  const objectName = options.objectName ?? 'api-7d9f8-x2k4q';
  const firstMs = options.firstMs ?? EVENT_T0;
  const lastMs = options.lastMs ?? firstMs;
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: options.name ?? `${objectName}.17c3e9a1f2b4c5d6`,
      namespace: namespace === '' ? 'default' : namespace,
      uid: options.uid ?? '0b7f1c52-9a7e-4a8e-b1b9-6f1d0c2e3a41',
      resourceVersion: options.resourceVersion ?? '918273',
      creationTimestamp: iso(firstMs),
      managedFields: [
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: iso(lastMs),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:count': {}, 'f:lastTimestamp': {}, 'f:message': {} },
        },
      ],
    },
    involvedObject: {
      kind: options.kind ?? 'Pod',
      ...(namespace === '' ? {} : { namespace }),
      name: objectName,
      uid: 'c0d1e2f3-0000-4000-8000-000000000001',
      apiVersion: 'v1',
      resourceVersion: '918000',
      fieldPath: options.kind === undefined ? 'spec.containers{api}' : '',
    },
    reason: options.reason ?? 'BackOff',
    message:
      options.message ??
      `Back-off restarting failed container api in pod ${objectName}_${namespace}(c0d1e2f3-0000-4000-8000-000000000001)`,
    source: {
      component: options.component ?? 'kubelet',
      host: options.host ?? 'ip-10-0-1-23.ec2.internal',
    },
    firstTimestamp: iso(firstMs),
    lastTimestamp: iso(lastMs),
    type: options.type ?? 'Warning',
    eventTime: null,
    reportingComponent: options.reportingComponent ?? '',
    reportingInstance: '',
  };
  if (options.count !== undefined && options.count > 0)
    event['count'] = options.count;
  return event;
}

export interface EventsV1Options {
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly seriesCount?: number;
  readonly eventMs?: number;
  readonly lastObservedMs?: number;
}

/** An events.k8s.io/v1 Event like the scheduler records (a pod scheduled). */
export function eventsV1Event(options: EventsV1Options = {}): RawObject {
  const eventMs = options.eventMs ?? EVENT_T0;
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata: {
      name: 'web-0.17c3e9a1f2b4c5e7',
      namespace: 'shop',
      uid: options.uid ?? '7e0c6a5d-3b2f-4f1e-9d8c-2a1b0c9d8e7f',
      resourceVersion: options.resourceVersion ?? '1200',
      creationTimestamp: iso(eventMs),
    },
    eventTime: microTime(eventMs),
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: {
      kind: 'Pod',
      namespace: 'shop',
      name: 'web-0',
      uid: 'a9b8c7d6-0000-4000-8000-000000000002',
      apiVersion: 'v1',
      resourceVersion: '1190',
    },
    note: 'Successfully assigned shop/web-0 to ip-10-0-2-7.ec2.internal',
    type: 'Normal',
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
  };
  if (options.seriesCount !== undefined) {
    event['series'] = {
      count: options.seriesCount,
      lastObservedTime: microTime(options.lastObservedMs ?? eventMs),
    };
  }
  return event;
}
