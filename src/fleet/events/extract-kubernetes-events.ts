/**
 * Picks the Kubernetes events out of OTLP log records: records in the
 * k8s_events or the k8sobjects receiver's shape become KubernetesEvents;
 * every other record (application logs, other k8sobjects resources, the
 * pull-end marker, watch DELETED) is passed over. Nothing here mutates or
 * drops log records: events are still forwarded like any log.
 */
import type { LogRecordView } from './log-record-view.js';
import type { KubernetesEvent } from './kubernetes-event.js';
import {
  fromK8sEventsReceiver,
  isK8sEventsReceiverRecord,
} from './from-k8s-events-receiver.js';
import {
  fromK8sObjectsReceiver,
  k8sObjectsEventBody,
} from './from-k8sobjects-receiver.js';

/** Which receiver's shape a record has. */
export type KubernetesEventShape = 'k8s_events' | 'k8sobjects';

/**
 * The receiver shape of a record that carries a Kubernetes Event (also a
 * watch DELETED, which is no occurrence), or undefined for any other record.
 * Cheap for application logs: an attribute scan and a body type check.
 */
export function detectKubernetesEventShape(
  record: LogRecordView
): KubernetesEventShape | undefined {
  if (isK8sEventsReceiverRecord(record)) return 'k8s_events';
  if (k8sObjectsEventBody(record) !== undefined) return 'k8sobjects';
  return undefined;
}

/**
 * The event occurrence a record carries, or undefined. `nowMs` (default
 * the wall clock) stands in for a record with no usable time.
 */
export function toKubernetesEvent(
  record: LogRecordView,
  cluster: string,
  nowMs: number = Date.now()
): KubernetesEvent | undefined {
  return (
    fromK8sEventsReceiver(record, cluster, nowMs) ??
    fromK8sObjectsReceiver(record, cluster, nowMs)
  );
}

/**
 * The event occurrences among `records`, in record order, for `cluster`
 * (the sender's canonical cluster: the Kubernetes API never names it).
 * Duplicates are kept; the event store drops them.
 */
export function extractKubernetesEvents(
  records: Iterable<LogRecordView>,
  cluster: string,
  nowMs: number = Date.now()
): KubernetesEvent[] {
  const events: KubernetesEvent[] = [];
  for (const record of records) {
    const event = toKubernetesEvent(record, cluster, nowMs);
    if (event !== undefined) events.push(event);
  }
  return events;
}
