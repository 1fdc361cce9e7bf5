import { describe, expect, it, vi } from 'vitest';
import {
  MAX_UNREGISTERED_CLUSTERS,
  UNREGISTERED_OVERFLOW,
} from './fleet-recorder.js';
import {
  T0,
  S,
  M,
  tracker,
  sendMetrics,
  keepSending,
  healthOf,
  useFleetClock,
} from '../../../test/helpers/fleet-harness.js';

useFleetClock();

describe('FleetTracker', () => {
  describe('states', () => {
    it('says unknown for a registered cluster that never sent', async () => {
      const h = await healthOf(tracker(), 'dev-us');
      expect(h).toMatchObject({
        state: 'unknown',
        reasons: [],
        lastSeenMs: {},
        region: 'us-east-1',
        env: 'dev',
        team: 'unknown',
      });
    });

    it('goes unknown → healthy → stale → down → healthy, with per-signal last-seen', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu');
      t.recordIngest('prod-eu', 'events', { samples: 3 }, Date.now() + 1);
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      expect((await healthOf(t, 'prod-eu')).lastSeenMs).toEqual({
        metrics: T0,
        events: T0 + 1,
      });

      vi.advanceTimersByTime(5 * M - 1);
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      vi.advanceTimersByTime(2);
      const stale = await healthOf(t, 'prod-eu');
      expect(stale.state).toBe('stale');
      expect(stale.reasons).toEqual([
        {
          code: 'no_data',
          message: 'no data for 5m (stale after 5m, down after 15m)',
          sinceMs: T0 + 1 + 5 * M,
        },
      ]);

      vi.advanceTimersByTime(10 * M);
      const down = await healthOf(t, 'prod-eu');
      expect(down.state).toBe('down');
      expect(down.reasons[0]!.message).toBe(
        'no data for 15m (stale after 5m, down after 15m)'
      );

      // Any request is proof of contact: back to healthy at once.
      t.recordIngest('prod-eu', 'logs', { samples: 10 }, Date.now());
      const back = await healthOf(t, 'prod-eu');
      expect(back.state).toBe('healthy');
      expect(back.lastSeenMs).toEqual({
        metrics: T0,
        events: T0 + 1,
        logs: Date.now(),
      });
    });

    it('goes stale → healthy when data comes back before down_after', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu');
      vi.advanceTimersByTime(7 * M);
      expect((await healthOf(t, 'prod-eu')).state).toBe('stale');
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
    });

    it('counts a refused request as contact (the cluster is reachable, its data is refused)', async () => {
      const t = tracker();
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'rate_limited' },
        Date.now()
      );
      const h = await healthOf(t, 'prod-eu');
      expect(h.state).toBe('healthy');
      expect(h.lastSeenMs.metrics).toBe(T0);
      expect(h.samplesPerSecond).toBe(0);
    });

    it('lists senders outside the registry apart, as unregistered, and forgets them after down_after', async () => {
      const t = tracker();
      sendMetrics(t, 'laptop-kind');
      let e = await t.evaluate();
      expect(e.clusters.map(c => c.cluster)).not.toContain('laptop-kind');
      expect(e.unregistered).toHaveLength(1);
      expect(e.unregistered[0]).toMatchObject({
        cluster: 'laptop-kind',
        state: 'unregistered',
        isRegistered: false,
        region: 'unknown',
      });
      expect(e.summary.byState.unregistered).toBe(1);

      vi.advanceTimersByTime(6 * M);
      e = await t.evaluate();
      expect(e.unregistered[0]).toMatchObject({
        state: 'unregistered',
        reasons: [{ code: 'no_data' }],
      });
      vi.advanceTimersByTime(9 * M);
      e = await t.evaluate();
      expect(e.unregistered).toHaveLength(0);
      expect(await t.clusterDetail('laptop-kind')).toBeUndefined();
    });

    it(`tracks at most ${MAX_UNREGISTERED_CLUSTERS} unregistered senders by name and folds the rest`, async () => {
      const t = tracker();
      for (let i = 0; i < MAX_UNREGISTERED_CLUSTERS + 5; i++)
        sendMetrics(t, `stray-${i}`);
      const e = await t.evaluate();
      expect(e.unregistered).toHaveLength(MAX_UNREGISTERED_CLUSTERS + 1);
      expect(e.unregistered.map(c => c.cluster)).toContain(
        UNREGISTERED_OVERFLOW
      );
    });

    it('summarizes by state, region and env, and orders the worst first', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-us');
      vi.advanceTimersByTime(20 * M);
      sendMetrics(t, 'prod-eu');
      const e = await t.evaluate();
      expect(e.clusters.map(c => [c.cluster, c.state])).toEqual([
        ['prod-us', 'down'],
        ['dev-us', 'unknown'],
        ['prod-eu', 'healthy'],
      ]);
      expect(e.summary.byState).toMatchObject({
        total: 3,
        healthy: 1,
        down: 1,
        unknown: 1,
        degraded: 0,
        stale: 0,
      });
      expect(e.summary.byRegion['us-east-1']).toMatchObject({
        total: 2,
        down: 1,
        unknown: 1,
      });
      expect(e.summary.byEnv['prod']).toMatchObject({
        total: 2,
        down: 1,
        healthy: 1,
      });
    });
  });

  describe('rates, counts and collectors', () => {
    it('measures samples and log lines per second over the last minute, from the first request on', async () => {
      const t = tracker();
      await keepSending(t, 'prod-eu', 20 * S, S, { samples: 100 });
      expect((await healthOf(t, 'prod-eu')).samplesPerSecond).toBeCloseTo(
        100,
        0
      );
      await keepSending(t, 'prod-eu', 2 * M, S, { samples: 100 });
      t.recordIngest('prod-eu', 'logs', { samples: 600 }, Date.now());
      const h = await healthOf(t, 'prod-eu');
      expect(h.samplesPerSecond).toBeGreaterThan(95);
      expect(h.samplesPerSecond).toBeLessThanOrEqual(101);
      expect(h.logLinesPerSecond).toBeGreaterThan(9);
      expect(h.logLinesPerSecond).toBeLessThanOrEqual(12);
      vi.advanceTimersByTime(2 * M);
      expect((await healthOf(t, 'prod-eu')).samplesPerSecond).toBe(0);
    });

    it('names the collectors from User-Agent and OTLP resource attributes, latest first', async () => {
      const t = tracker();
      sendMetrics(t, 'prod-eu', { userAgent: 'Prometheus/2.42.0' });
      vi.advanceTimersByTime(S);
      t.recordIngest(
        'prod-eu',
        'events',
        {
          samples: 2,
          userAgent: 'Go-http-client/1.1',
          resource: [
            { key: 'service.name', value: 'otelcol-contrib' },
            { key: 'service.version', value: '0.91.0' },
          ],
        },
        Date.now()
      );
      const detail = await t.clusterDetail('prod-eu');
      expect(detail!.collectors).toEqual([
        {
          kind: 'otelcol-contrib',
          version: '0.91.0',
          lastSeenMs: T0 + S,
          signals: ['events'],
        },
        {
          kind: 'prometheus',
          version: '2.42.0',
          lastSeenMs: T0,
          signals: ['metrics'],
        },
      ]);
    });

    it('answers a detail for registered clusters and tracked senders only', async () => {
      const t = tracker();
      expect(await t.clusterDetail('nope')).toBeUndefined();
      expect(await t.clusterDetail('dev-us')).toMatchObject({
        state: 'unknown',
        slos: [],
        warningEvents: undefined,
      });
    });
  });
});
