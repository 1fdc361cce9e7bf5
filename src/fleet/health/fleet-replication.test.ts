import { describe, expect, it, vi } from 'vitest';
import { MemorySnapshotTransport } from '../../state/index.js';
import { FLEET_SNAPSHOT_KIND } from './fleet-snapshot.js';
import {
  T0,
  S,
  M,
  tracker,
  sendMetrics,
  healthOf,
  useFleetClock,
} from '../../../test/helpers/fleet-harness.js';

useFleetClock();

describe('FleetTracker replication (FleetReplication)', () => {
  describe('replicas', () => {
    it('gives two replicas on a shared store the same answer: max of last-seen, sum of rates', async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      const b = tracker({ store, replicaId: 'b' });
      for (let i = 0; i < 30; i++) {
        sendMetrics(a, 'prod-eu', {
          samples: 50,
          userAgent: 'Prometheus/2.42.0',
        });
        sendMetrics(b, 'prod-eu', { samples: 50 });
        a.recordIngest(
          'prod-us',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
        sendMetrics(b, 'prod-us');
        vi.advanceTimersByTime(S);
      }
      b.recordIngest('dev-us', 'logs', { samples: 10 }, Date.now());
      await a.sync();
      await b.sync();
      await a.sync();
      const [ea, eb] = await Promise.all([a.evaluate(), b.evaluate()]);
      expect(ea).toEqual(eb);
      const eu = ea.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.samplesPerSecond).toBeCloseTo(100, 0);
      expect(eu.collectors.map(c => c.kind)).toEqual(['prometheus']);
      expect(ea.clusters.find(c => c.cluster === 'dev-us')!.lastSeenMs).toEqual(
        { logs: Date.now() }
      );
      const us = ea.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us.state).toBe('degraded');
      expect(us.reasons[0]!.message).toBe(
        '30 of 60 requests refused in the last 5m (50%): rate_limited 30'
      );
      expect(await a.clusterDetail('prod-us')).toEqual(
        await b.clusterDetail('prod-us')
      );
    });

    it("keeps a cluster's last contact and held reasons after the replica that saw it is gone", async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      const b = tracker({ store, replicaId: 'b' });
      for (let i = 0; i < 3; i++)
        a.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'overloaded' },
          Date.now()
        );
      const raised = await healthOf(a, 'prod-eu');
      expect(raised.state).toBe('degraded');
      await a.sync();
      await b.sync();
      // a dies; its snapshot expires. b still knows prod-eu's last contact and held reason.
      vi.advanceTimersByTime(M);
      await b.sync();
      expect(
        await store.readSnapshots(FLEET_SNAPSHOT_KIND, Date.now())
      ).toHaveLength(1);
      const h = await healthOf(b, 'prod-eu');
      expect(h.state).toBe('degraded');
      expect(h.lastSeenMs).toEqual({ metrics: T0 });
      expect(h.reasons[0]).toMatchObject({
        code: 'ingestion_refusals',
        sinceMs: T0,
      });
      expect(h.reasons[0]!.message).toContain(
        '(last true 1m ago; clears after 5m without it)'
      );
      vi.advanceTimersByTime(20 * M);
      expect((await healthOf(b, 'prod-eu')).state).toBe('down');
    });

    it('skips a malformed peer snapshot and reports it', async () => {
      const store = new MemorySnapshotTransport();
      const errors: unknown[] = [];
      const a = tracker({
        store,
        replicaId: 'a',
        onError: err => errors.push(err),
      });
      await store.publishSnapshot(
        FLEET_SNAPSHOT_KIND,
        'z',
        '{"v":1,"clusters":{"prod-eu":{"lastSeenMs":7}}}',
        15 * S,
        Date.now()
      );
      sendMetrics(a, 'prod-us');
      await a.sync();
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain(
        'cannot decode the fleet snapshot of replica z'
      );
      expect((await healthOf(a, 'prod-us')).state).toBe('healthy');
    });

    it('does not publish on a store that is not shared', async () => {
      const store = new MemorySnapshotTransport({ isShared: false });
      const a = tracker({ store, replicaId: 'a' });
      sendMetrics(a, 'prod-us');
      await a.sync();
      expect(store.publishes).toBe(0);
    });

    it('syncs and evaluates on its own timer once started', async () => {
      const store = new MemorySnapshotTransport();
      const a = tracker({ store, replicaId: 'a' });
      a.start();
      sendMetrics(a, 'prod-us');
      await vi.advanceTimersByTimeAsync(5 * S);
      expect(store.publishes).toBe(1);
      await a.stop();
      await vi.advanceTimersByTimeAsync(20 * S);
      expect(store.publishes).toBe(1);
    });
  });
});
