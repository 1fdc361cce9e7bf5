import { describe, expect, it } from 'vitest';
import type { KubernetesEvent } from './kubernetes-event.js';
import type { LogRecordView } from './log-record-view.js';
import {
  fromK8sEventsReceiver,
  isK8sEventsReceiverRecord,
} from './from-k8s-events-receiver.js';
import {
  EVENT_T0,
  coreEvent,
  k8sEventsRecord,
  microTime,
} from '../../../test/helpers/receiver-records.js';

const NOW = EVENT_T0 + 3_600_000;
const MIN = 60_000;

/** A BackOff warning as fromK8sEventsReceiver should read it. */
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
  // The receiver does not carry the reporting component (since 2023).
  reportingComponent: '',
};

function check(record: LogRecordView, want: Partial<KubernetesEvent>): void {
  expect(fromK8sEventsReceiver(record, 'prod-eu', NOW)).toEqual({
    ...BACKOFF,
    ...want,
  });
}

describe('fromK8sEventsReceiver()', () => {
  it.each<[string, LogRecordView, Partial<KubernetesEvent>]>([
    [
      'a repeated Warning with its count',
      k8sEventsRecord(coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN })),
      {},
    ],
    [
      'a Normal event without count (count 1, versioned by time)',
      k8sEventsRecord(
        coreEvent({ type: 'Normal', reason: 'Pulled', message: 'pulled' })
      ),
      {
        type: 'Normal',
        reason: 'Pulled',
        message: 'pulled',
        count: 1,
        version: `time:${EVENT_T0}`,
        lastSeenMs: EVENT_T0,
      },
    ],
    [
      'a cluster-scoped Node event (empty namespace)',
      k8sEventsRecord(
        coreEvent({
          count: 2,
          namespace: '',
          kind: 'Node',
          objectName: 'ip-10-0-1-23.ec2.internal',
          reason: 'NodeNotReady',
          message: 'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
          component: 'node-controller',
          lastMs: EVENT_T0 + 5 * MIN,
        })
      ),
      {
        version: 'count:2',
        count: 2,
        namespace: '',
        object: { kind: 'Node', name: 'ip-10-0-1-23.ec2.internal' },
        reason: 'NodeNotReady',
        message: 'Node ip-10-0-1-23.ec2.internal status is now: NodeNotReady',
      },
    ],
    [
      'an event of a type the receiver does not know (no severity)',
      k8sEventsRecord(
        coreEvent({ type: 'Info', count: 7, lastMs: EVENT_T0 + 5 * MIN })
      ),
      { type: '' },
    ],
  ])('reads %s', (_name, record, want) => {
    check(record, want);
  });

  it('takes eventTime as the record time when the Event has one', () => {
    const event = {
      ...coreEvent({ count: 3 }),
      eventTime: microTime(EVENT_T0 + 2 * MIN),
    };
    const got = fromK8sEventsReceiver(k8sEventsRecord(event), 'c', NOW);
    expect(got?.lastSeenMs).toBe(EVENT_T0 + 2 * MIN);
    expect(got?.firstSeenMs).toBe(EVENT_T0);
  });

  it('maps the severity number when a processor rewrote the text', () => {
    const record = {
      ...k8sEventsRecord(coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN })),
      severityText: 'WARN',
    };
    check(record, {});
  });

  it('falls back to the observed time, then to now, when the record has no time', () => {
    const record = k8sEventsRecord(coreEvent({ count: 7 }));
    const observed = { ...record, timeUnixMs: 0, observedTimeUnixMs: NOW - 1 };
    expect(fromK8sEventsReceiver(observed, 'c', NOW)?.lastSeenMs).toBe(NOW - 1);
    const none = { ...observed, observedTimeUnixMs: 0 };
    expect(fromK8sEventsReceiver(none, 'c', NOW)?.lastSeenMs).toBe(NOW);
  });

  it('reads the reporting component of receivers that set k8s.event.source', () => {
    const record = k8sEventsRecord(
      coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN })
    );
    const old = {
      ...record,
      resourceAttributes: [
        ...record.resourceAttributes,
        { key: 'k8s.event.source', value: 'kubelet' },
      ],
    };
    check(old, { reportingComponent: 'kubelet' });
  });

  it('accepts the count as an int, a double or decimal text', () => {
    const record = k8sEventsRecord(
      coreEvent({ count: 7, lastMs: EVENT_T0 + 5 * MIN })
    );
    for (const value of [7, '7']) {
      const attributes = record.attributes.map(a =>
        a.key === 'k8s.event.count' ? { key: a.key, value } : a
      );
      check({ ...record, attributes }, {});
    }
  });
});

describe('isK8sEventsReceiverRecord()', () => {
  const record = k8sEventsRecord(coreEvent());
  it.each<[string, LogRecordView, boolean]>([
    ['a receiver record', record, true],
    [
      'no k8s.event.uid',
      {
        ...record,
        attributes: record.attributes.filter(a => a.key !== 'k8s.event.uid'),
      },
      false,
    ],
    [
      'an empty uid',
      {
        ...record,
        attributes: record.attributes.map(a =>
          a.key === 'k8s.event.uid' ? { key: a.key, value: '' } : a
        ),
      },
      false,
    ],
    ['a map body', { ...record, body: { kvlist: [] } }, false],
    ['an empty body', { ...record, body: null }, true],
  ])('%s → %s', (_name, r, want) => {
    expect(isK8sEventsReceiverRecord(r)).toBe(want);
  });
});
