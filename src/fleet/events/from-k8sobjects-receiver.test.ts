import { describe, expect, it } from 'vitest';
import type { KubernetesEvent } from './kubernetes-event.js';
import type { LogRecordView } from './log-record-view.js';
import {
  fromK8sObjectsReceiver,
  k8sObjectsEventBody,
} from './from-k8sobjects-receiver.js';
import {
  EVENT_T0,
  coreEvent,
  eventsV1Event,
  k8sObjectsPullEndRecord,
  k8sObjectsPullRecord,
  k8sObjectsWatchRecord,
  toAnyValue,
} from '../../../test/helpers/receiver-records.js';

const MIN = 60_000;
const OBSERVED = EVENT_T0 + 10 * MIN;
const NOW = EVENT_T0 + 60 * MIN;

const BACKOFF: KubernetesEvent = {
  cluster: 'prod-eu',
  uid: '0b7f1c52-9a7e-4a8e-b1b9-6f1d0c2e3a41',
  version: 'count:7',
  type: 'Warning',
  reason: 'BackOff',
  namespace: 'payments',
  object: { kind: 'Pod', name: 'api-7d9f8-x2k4q' },
  count: 7,
  firstSeenMs: EVENT_T0,
  lastSeenMs: EVENT_T0 + 5 * MIN,
  message:
    'Back-off restarting failed container api in pod api-7d9f8-x2k4q_payments(c0d1e2f3-0000-4000-8000-000000000001)',
  reportingComponent: 'kubelet',
};

const SCHEDULED: KubernetesEvent = {
  cluster: 'prod-eu',
  uid: '7e0c6a5d-3b2f-4f1e-9d8c-2a1b0c9d8e7f',
  version: 'rv:1200',
  type: 'Normal',
  reason: 'Scheduled',
  namespace: 'shop',
  object: { kind: 'Pod', name: 'web-0' },
  count: 1,
  firstSeenMs: EVENT_T0,
  lastSeenMs: EVENT_T0,
  message: 'Successfully assigned shop/web-0 to ip-10-0-2-7.ec2.internal',
  reportingComponent: 'default-scheduler',
};

const backoff = coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN });

describe('fromK8sObjectsReceiver()', () => {
  it.each<[string, LogRecordView, KubernetesEvent]>([
    [
      'a watched core/v1 Event (ADDED)',
      k8sObjectsWatchRecord('ADDED', backoff, OBSERVED),
      BACKOFF,
    ],
    [
      'a watched core/v1 Event (MODIFIED, higher count)',
      k8sObjectsWatchRecord(
        'MODIFIED',
        coreEvent({ count: 8, lastMs: EVENT_T0 + 6 * MIN }),
        OBSERVED
      ),
      {
        ...BACKOFF,
        version: 'count:8',
        count: 8,
        lastSeenMs: EVENT_T0 + 6 * MIN,
      },
    ],
    [
      'a pulled core/v1 Event',
      k8sObjectsPullRecord(backoff, OBSERVED),
      BACKOFF,
    ],
    [
      'a core/v1 Event with reportingComponent set',
      k8sObjectsPullRecord(
        coreEvent({
          count: 7,
          lastMs: EVENT_T0 + 5 * MIN,
          component: '',
          reportingComponent: 'kubelet',
        }),
        OBSERVED
      ),
      BACKOFF,
    ],
    [
      'a cluster-scoped Node event (empty namespace)',
      k8sObjectsWatchRecord(
        'ADDED',
        coreEvent({
          namespace: '',
          kind: 'Node',
          objectName: 'ip-10-0-1-23.ec2.internal',
          reason: 'NodeNotReady',
          message: 'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
          component: 'node-controller',
          count: 1,
        }),
        OBSERVED
      ),
      {
        ...BACKOFF,
        version: 'count:1',
        count: 1,
        namespace: '',
        object: { kind: 'Node', name: 'ip-10-0-1-23.ec2.internal' },
        reason: 'NodeNotReady',
        message: 'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
        reportingComponent: 'node-controller',
        lastSeenMs: EVENT_T0,
      },
    ],
    [
      'a singleton events.k8s.io/v1 Event (no count: versioned by resourceVersion)',
      k8sObjectsWatchRecord('ADDED', eventsV1Event(), OBSERVED),
      SCHEDULED,
    ],
    [
      'an events.k8s.io/v1 Event series',
      k8sObjectsWatchRecord(
        'MODIFIED',
        eventsV1Event({
          seriesCount: 4,
          resourceVersion: '1300',
          lastObservedMs: EVENT_T0 + 3 * MIN,
        }),
        OBSERVED
      ),
      {
        ...SCHEDULED,
        version: 'count:4',
        count: 4,
        lastSeenMs: EVENT_T0 + 3 * MIN,
      },
    ],
    [
      'a pulled events.k8s.io/v1 Event',
      k8sObjectsPullRecord(eventsV1Event(), OBSERVED),
      SCHEDULED,
    ],
  ])('reads %s', (_name, record, want) => {
    expect(fromK8sObjectsReceiver(record, 'prod-eu', NOW)).toEqual(want);
  });

  it.each<[string, LogRecordView]>([
    [
      'a watch DELETED (the Event expired)',
      k8sObjectsWatchRecord('DELETED', backoff, OBSERVED),
    ],
    ['a watch BOOKMARK', k8sObjectsWatchRecord('BOOKMARK', backoff, OBSERVED)],
    ['the pull-end marker', k8sObjectsPullEndRecord(OBSERVED)],
    [
      'a pulled Pod',
      {
        ...k8sObjectsPullRecord(backoff, OBSERVED),
        attributes: [{ key: 'k8s.resource.name', value: 'pods' }],
        body: toAnyValue({
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1' },
        }),
      },
    ],
    [
      'an Event without metadata.uid',
      k8sObjectsPullRecord({ ...backoff, metadata: { name: 'x' } }, OBSERVED),
    ],
  ])('passes over %s', (_name, record) => {
    expect(fromK8sObjectsReceiver(record, 'prod-eu', NOW)).toBeUndefined();
  });

  it('recognizes an Event whose kind a processor removed, by the events resource', () => {
    const withoutKind = Object.fromEntries(
      Object.entries(backoff).filter(([key]) => key !== 'kind')
    );
    const record = k8sObjectsPullRecord(withoutKind, OBSERVED);
    expect(fromK8sObjectsReceiver(record, 'prod-eu', NOW)).toEqual(BACKOFF);
  });

  it('uses the observed time when the Event carries no time at all', () => {
    const bare = {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { uid: 'u-2', resourceVersion: '5' },
      reason: 'Custom',
      type: 'Normal',
    };
    const got = fromK8sObjectsReceiver(
      k8sObjectsPullRecord(bare, OBSERVED),
      'c',
      NOW
    );
    expect(got).toMatchObject({
      uid: 'u-2',
      version: 'rv:5',
      count: 1,
      firstSeenMs: OBSERVED,
      lastSeenMs: OBSERVED,
      namespace: '',
      object: { kind: '', name: '' },
    });
  });
});

describe('k8sObjectsEventBody()', () => {
  it('tells a watch body from a pulled object, whose `type` is the event type', () => {
    expect(
      k8sObjectsEventBody(k8sObjectsWatchRecord('ADDED', backoff, OBSERVED))
        ?.watchType
    ).toBe('ADDED');
    const pulled = k8sObjectsEventBody(k8sObjectsPullRecord(backoff, OBSERVED));
    expect(pulled).toBeDefined();
    expect(pulled?.watchType).toBeUndefined();
  });

  it('finds the Event of a DELETED watch record', () => {
    expect(
      k8sObjectsEventBody(k8sObjectsWatchRecord('DELETED', backoff, OBSERVED))
    ).toBeDefined();
  });
});
