import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../state/index.js';
import type { EventStore } from './event-store.js';
import { KubernetesEventService } from './kubernetes-event-service.js';
import {
  EVENT_T0,
  appLogRecord,
  coreEvent,
  k8sEventsRecord,
  k8sObjectsWatchRecord,
} from '../../../test/helpers/receiver-records.js';

const MIN = 60_000;
const NOW = EVENT_T0 + 10 * MIN;

function setup(store: EventStore = new MemoryEventLog()): {
  service: KubernetesEventService;
  registry: Registry;
  clock: { now: number };
} {
  const registry = new Registry();
  const clock = { now: NOW };
  const service = new KubernetesEventService({
    store,
    registry,
    now: () => clock.now,
  });
  return { service, registry, clock };
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>
): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  const found = metric?.values.find(v =>
    Object.entries(labels).every(([k, want]) => v.labels[k] === want)
  );
  return found?.value;
}

/** The kubelet's BackOff event at `count`, the last occurrence `count` minutes after T0. */
function backoff(count: number) {
  return coreEvent({ count, lastMs: EVENT_T0 + count * MIN });
}

/** Every event the store holds for prod, newest first. */
function readProd(service: KubernetesEventService) {
  return service.query({ clusters: ['prod'], limit: 100 });
}

describe('KubernetesEventService', () => {
  describe('observe()', () => {
    it('keeps one event when two k8s_events collectors send it with increasing counts', async () => {
      const { service, registry } = setup();
      const results = [];
      for (const count of [1, 2, 3]) {
        // Two collectors without leader election: the same records twice.
        results.push(
          await service.observe([k8sEventsRecord(backoff(count))], 'prod')
        );
        results.push(
          await service.observe([k8sEventsRecord(backoff(count))], 'prod')
        );
      }
      expect(results.map(r => [r.appended, r.duplicates])).toEqual([
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
      ]);
      const events = await readProd(service);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ count: 3, reason: 'BackOff' });
      expect(
        await metricValue(registry, 'fleetgate_k8s_events_total', {
          cluster: 'prod',
          type: 'Warning',
        })
      ).toBe(3);
      expect(
        await metricValue(registry, 'fleetgate_k8s_events_deduplicated_total', {
          cluster: 'prod',
        })
      ).toBe(3);
    });

    it('deduplicates one update carried by both receivers', async () => {
      const { service } = setup();
      await service.observe([k8sEventsRecord(backoff(4))], 'prod');
      const result = await service.observe(
        [k8sObjectsWatchRecord('MODIFIED', backoff(4), NOW)],
        'prod'
      );
      expect(result).toEqual({ events: 1, appended: 0, duplicates: 1 });
    });

    it('keeps the same event of two clusters apart', async () => {
      const { service } = setup();
      await service.observe([k8sEventsRecord(backoff(1))], 'prod');
      const result = await service.observe(
        [k8sEventsRecord(backoff(1))],
        'dev'
      );
      expect(result.appended).toBe(1);
    });

    it('passes over application logs without touching the store', async () => {
      const store: EventStore = {
        append: () => Promise.reject(new Error('must not be called')),
        read: () => Promise.resolve([]),
      };
      const { service } = setup(store);
      expect(
        await service.observe([appLogRecord('GET / 200', NOW)], 'prod')
      ).toEqual({ events: 0, appended: 0, duplicates: 0 });
    });

    it('counts types outside the known ones as other', async () => {
      const { service, registry } = setup();
      const odd = k8sObjectsWatchRecord(
        'ADDED',
        coreEvent({ type: 'Strange', count: 1 }),
        NOW
      );
      await service.observe([odd], 'prod');
      expect(
        await metricValue(registry, 'fleetgate_k8s_events_total', {
          cluster: 'prod',
          type: 'other',
        })
      ).toBe(1);
    });
  });

  describe('recentWarnings()', () => {
    it('counts new Warning observations by reason', async () => {
      const { service } = setup();
      await service.observe(
        [
          k8sEventsRecord(backoff(1)),
          k8sEventsRecord(backoff(2)),
          k8sEventsRecord(backoff(2)), // duplicate: not counted
          k8sEventsRecord(
            coreEvent({ uid: 'u-2', reason: 'FailedMount', count: 1 })
          ),
          k8sEventsRecord(
            coreEvent({
              uid: 'u-3',
              type: 'Normal',
              reason: 'Pulled',
              count: 1,
            })
          ),
        ],
        'prod'
      );
      expect(service.recentWarnings('prod', EVENT_T0 - MIN)).toEqual({
        total: 3,
        reasons: [
          { reason: 'BackOff', count: 2 },
          { reason: 'FailedMount', count: 1 },
        ],
        other: 0,
      });
      expect(service.recentWarnings('prod', EVENT_T0 + 2 * MIN).total).toBe(1);
      expect(service.recentWarnings('dev', EVENT_T0).total).toBe(0);
    });

    it('exposes the top reasons as a gauge over the last hour', async () => {
      const { service, registry, clock } = setup();
      await service.observe([k8sEventsRecord(backoff(1))], 'prod');
      expect(
        await metricValue(registry, 'fleetgate_k8s_warning_events_recent', {
          cluster: 'prod',
          reason: 'BackOff',
        })
      ).toBe(1);
      clock.now = EVENT_T0 + 3 * 60 * MIN;
      expect(
        await metricValue(registry, 'fleetgate_k8s_warning_events_recent', {
          cluster: 'prod',
          reason: 'BackOff',
        })
      ).toBeUndefined();
    });
  });

  it('refuses a registry that already holds its metrics', () => {
    const registry = new Registry();
    const store = new MemoryEventLog();
    new KubernetesEventService({ store, registry });
    expect(() => new KubernetesEventService({ store, registry })).toThrow(
      /already been registered/
    );
  });
});
