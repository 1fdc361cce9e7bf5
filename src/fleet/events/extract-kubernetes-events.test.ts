import { describe, expect, it } from 'vitest';
import {
  detectKubernetesEventShape,
  extractKubernetesEvents,
  toKubernetesEvent,
} from './extract-kubernetes-events.js';
import type { LogRecordView } from './log-record-view.js';
import {
  EVENT_T0,
  appLogRecord,
  coreEvent,
  eventsV1Event,
  k8sEventsRecord,
  k8sObjectsPullEndRecord,
  k8sObjectsPullRecord,
  k8sObjectsWatchRecord,
  toAnyValue,
} from '../../../test/helpers/receiver-records.js';

const MIN = 60_000;
const NOW = EVENT_T0 + 60 * MIN;
const backoff = coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN });

describe('detectKubernetesEventShape()', () => {
  it.each<[string, LogRecordView, string | undefined]>([
    ['a k8s_events record', k8sEventsRecord(backoff), 'k8s_events'],
    [
      'a k8sobjects watch record',
      k8sObjectsWatchRecord('ADDED', backoff, NOW),
      'k8sobjects',
    ],
    [
      'a k8sobjects DELETED record',
      k8sObjectsWatchRecord('DELETED', backoff, NOW),
      'k8sobjects',
    ],
    [
      'a k8sobjects pulled Event',
      k8sObjectsPullRecord(eventsV1Event(), NOW),
      'k8sobjects',
    ],
    ['the pull-end marker', k8sObjectsPullEndRecord(NOW), undefined],
    ['a text log line', appLogRecord('GET /healthz 200', NOW), undefined],
    [
      'a structured log that looks like a watch event',
      appLogRecord(
        toAnyValue({ type: 'ADDED', object: { kind: 'Order', id: 7 } }),
        NOW
      ),
      undefined,
    ],
    [
      'a structured log with kind Event but no uid',
      appLogRecord(toAnyValue({ kind: 'Event', metadata: {} }), NOW),
      undefined,
    ],
  ])('%s → %s', (_name, record, want) => {
    expect(detectKubernetesEventShape(record)).toBe(want);
  });
});

describe('extractKubernetesEvents()', () => {
  it('keeps the event occurrences, in record order, and passes over the rest', () => {
    const records = [
      appLogRecord('starting', NOW),
      k8sEventsRecord(backoff),
      k8sObjectsWatchRecord('DELETED', backoff, NOW),
      k8sObjectsPullRecord(eventsV1Event(), NOW),
      k8sObjectsPullEndRecord(NOW),
    ];
    const events = extractKubernetesEvents(records, 'prod-eu', NOW);
    expect(events.map(e => [e.cluster, e.reason, e.version])).toEqual([
      ['prod-eu', 'BackOff', 'count:7'],
      ['prod-eu', 'Scheduled', 'rv:1200'],
    ]);
  });

  it('takes any iterable (a generator over a batch)', () => {
    function* records(): Generator<LogRecordView> {
      yield k8sEventsRecord(backoff);
    }
    expect(extractKubernetesEvents(records(), 'c', NOW)).toHaveLength(1);
  });

  it('gives one observation the same identity through either receiver', () => {
    const viaEvents = toKubernetesEvent(k8sEventsRecord(backoff), 'c', NOW);
    const viaObjects = toKubernetesEvent(
      k8sObjectsWatchRecord('MODIFIED', backoff, NOW),
      'c',
      NOW
    );
    expect(viaEvents?.uid).toBe(viaObjects?.uid);
    expect(viaEvents?.version).toBe(viaObjects?.version);
    expect({ ...viaEvents, reportingComponent: '' }).toEqual({
      ...viaObjects,
      reportingComponent: '',
    });
  });
});
