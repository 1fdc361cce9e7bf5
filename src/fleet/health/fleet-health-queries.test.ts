import { describe, expect, it, vi } from 'vitest';
import type {
  CardinalityBudgetSource,
  SloAlertSource,
  WarningEventSource,
} from './health-sources.js';
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

describe('FleetTracker health (FleetHealthQueries)', () => {
  describe('degraded reasons', () => {
    it('raises slo_fast_burn while a page alert fires, naming the SLOs', async () => {
      const firing = new Map<string, string[]>([
        ['prod-eu', ['checkout-latency', 'checkout-availability']],
      ]);
      const slos: SloAlertSource = {
        firingPageAlerts: cluster => firing.get(cluster) ?? [],
        clusterSlos: () => [],
        fleetSlos: () => [
          {
            name: 'checkout-availability',
            objective: 0.999,
            errorBudgetRemaining: 0.4,
            alerts: { page: true, ticket: true },
          },
        ],
      };
      const t = tracker({ slos });
      sendMetrics(t, 'prod-eu');
      sendMetrics(t, 'prod-us');
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons).toEqual([
        {
          code: 'slo_fast_burn',
          message:
            'fast-burn page alert firing for 2 SLOs: checkout-availability, checkout-latency',
          sinceMs: T0,
        },
      ]);
      expect(e.clusters.find(c => c.cluster === 'prod-us')!.state).toBe(
        'healthy'
      );
      expect(e.slos).toHaveLength(1);
    });

    it('raises cardinality_budget_exceeded on budget drops or a full budget, not on other drops', async () => {
      let active = 1000;
      const cardinality: CardinalityBudgetSource = {
        activeSeries: cluster => (cluster === 'prod-us' ? active : undefined),
        seriesBudget: () => 5000,
      };
      const t = tracker({ cardinality });
      sendMetrics(t, 'prod-eu', {
        drops: {
          series_limit_metric: 1200,
          series_limit_cluster: 4,
          relabel: 50,
        },
      });
      sendMetrics(t, 'dev-us', {
        drops: new Map([
          ['relabel', 10],
          ['label_limit', 3],
        ]),
      });
      sendMetrics(t, 'prod-us');
      let e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons.map(r => r.code)).toEqual([
        'cardinality_budget_exceeded',
      ]);
      expect(eu.reasons[0]!.message).toBe(
        '1204 series dropped over cardinality budgets in the last 5m (series_limit_metric 1200, series_limit_cluster 4)'
      );
      expect(eu.drops).toEqual({
        series_limit_metric: 1200,
        series_limit_cluster: 4,
        relabel: 50,
      });
      expect(e.clusters.find(c => c.cluster === 'dev-us')!.state).toBe(
        'healthy'
      );
      const us = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us).toMatchObject({
        state: 'healthy',
        activeSeries: 1000,
        seriesBudget: 5000,
        budgetUse: 0.2,
      });

      active = 5000;
      e = await t.evaluate();
      const full = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(full.state).toBe('degraded');
      expect(full.reasons[0]!.message).toBe(
        '5000 of 5000 active series (100% of max_series_per_cluster)'
      );
    });

    it('raises ingestion_refusals at 3 refused requests that are at least 5% of the requests', async () => {
      const t = tracker();
      for (let i = 0; i < 10; i++) sendMetrics(t, 'prod-eu');
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'rate_limited' },
        Date.now()
      );
      t.recordIngest(
        'prod-eu',
        'logs',
        { refused: 'rate_limited' },
        Date.now()
      );
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      t.recordIngest(
        'prod-eu',
        'metrics',
        { refused: 'overloaded' },
        Date.now()
      );
      const h = await healthOf(t, 'prod-eu');
      expect(h.state).toBe('degraded');
      expect(h.reasons[0]).toMatchObject({
        code: 'ingestion_refusals',
        message:
          '3 of 13 requests refused in the last 5m (23.1%): rate_limited 2, overloaded 1',
      });
      expect(h.refusals).toEqual({ rate_limited: 2, overloaded: 1 });
      expect(h.requests).toBe(13);

      // The same three refusals among a hundred requests are noise.
      const busy = tracker();
      for (let i = 0; i < 100; i++) sendMetrics(busy, 'prod-eu');
      for (let i = 0; i < 3; i++)
        busy.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
      expect((await healthOf(busy, 'prod-eu')).state).toBe('healthy');
    });

    it('raises warning_events_spike on 3x the previous hour, not on a steady high rate', async () => {
      const events: { cluster: string; atMs: number; reason: string }[] = [];
      const warnings: WarningEventSource = {
        recentWarnings: (cluster, sinceMs) => {
          const counts: Record<string, number> = {};
          for (const e of events)
            if (e.cluster === cluster && e.atMs >= sinceMs)
              counts[e.reason] = (counts[e.reason] ?? 0) + 1;
          return counts;
        },
      };
      // An hour of background: one Warning per 10 minutes on prod-eu, two per minute on prod-us.
      for (let m = 1; m <= 70; m++) {
        if (m % 10 === 5 && m < 60)
          events.push({
            cluster: 'prod-eu',
            atMs: T0 + m * M,
            reason: 'BackOff',
          });
        events.push({
          cluster: 'prod-us',
          atMs: T0 + m * M,
          reason: 'BackOff',
        });
        events.push({
          cluster: 'prod-us',
          atMs: T0 + m * M + 1,
          reason: 'Unhealthy',
        });
      }
      vi.setSystemTime(T0 + 70 * M);
      for (let i = 0; i < 8; i++)
        events.push({
          cluster: 'prod-eu',
          atMs: Date.now() - i * S,
          reason: 'BackOff',
        });
      for (let i = 0; i < 4; i++)
        events.push({
          cluster: 'prod-eu',
          atMs: Date.now() - i * S,
          reason: 'FailedScheduling',
        });
      const t = tracker({ warnings });
      sendMetrics(t, 'prod-eu');
      sendMetrics(t, 'prod-us');
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.reasons[0]).toMatchObject({
        code: 'warning_events_spike',
        message:
          '12 Warning events in the last 10m, 12x the hour before (1 per 10m): BackOff 8, FailedScheduling 4',
      });
      expect(e.clusters.find(c => c.cluster === 'prod-us')!.state).toBe(
        'healthy'
      );
      const detail = await t.clusterDetail('prod-eu');
      expect(detail!.warningEvents).toEqual({
        windowMs: 60 * M,
        byReason: { BackOff: 13, FailedScheduling: 4 },
      });
    });

    it('raises clock_skew with the measured skew when beyond max_clock_skew, and not within it', async () => {
      const t = tracker();
      await keepSending(t, 'prod-eu', 80 * S, 5 * S, {
        offsetMs: 8 * M - 2 * S,
      });
      await keepSending(t, 'prod-us', 80 * S, 5 * S, { offsetMs: 4 * M });
      const e = await t.evaluate();
      const eu = e.clusters.find(c => c.cluster === 'prod-eu')!;
      expect(eu.state).toBe('degraded');
      expect(eu.clockSkewMs).toBe(8 * M - 2 * S);
      expect(eu.reasons[0]).toMatchObject({ code: 'clock_skew' });
      expect(eu.reasons[0]!.message).toMatch(
        /^clock 7m58s ahead: newest samples arrive stamped 478s in the future \(median of \d+ requests; max_clock_skew 5m\)$/
      );
      const us = e.clusters.find(c => c.cluster === 'prod-us')!;
      expect(us).toMatchObject({
        state: 'healthy',
        clockSkewMs: 4 * M,
        skewVerdict: 'ahead',
      });
    });

    it('reports failing sources and evaluates without them', async () => {
      const errors: unknown[] = [];
      const t = tracker({
        onError: err => errors.push(err),
        slos: {
          firingPageAlerts: () => Promise.reject(new Error('slo engine down')),
          clusterSlos: () => {
            throw new Error('slo engine down');
          },
          fleetSlos: () => [],
        },
        warnings: {
          recentWarnings: () => Promise.reject(new Error('events down')),
        },
      });
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
      expect((await t.clusterDetail('prod-eu'))!.slos).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
    });
  });

  describe('hysteresis', () => {
    it('keeps a flapping reason raised, then clears it 5 minutes after it last held', async () => {
      let isFiring = false;
      const t = tracker({
        slos: {
          firingPageAlerts: () => (isFiring ? ['api'] : []),
          clusterSlos: () => [],
          fleetSlos: () => [],
        },
      });
      const states: string[] = [];
      // The alert fires every other minute for 6 minutes: no flapping.
      for (let minute = 0; minute < 6; minute++) {
        isFiring = minute % 2 === 0;
        sendMetrics(t, 'prod-eu');
        states.push((await healthOf(t, 'prod-eu')).state);
        vi.advanceTimersByTime(M);
      }
      expect(states).toEqual(Array(6).fill('degraded'));
      // It last held at minute 4.
      isFiring = false;
      vi.setSystemTime(T0 + 8 * M + 59 * S);
      sendMetrics(t, 'prod-eu');
      const held = await healthOf(t, 'prod-eu');
      expect(held.state).toBe('degraded');
      expect(held.reasons).toEqual([
        {
          code: 'slo_fast_burn',
          message:
            'fast-burn page alert firing for 1 SLO: api (last true 4m59s ago; clears after 5m without it)',
          sinceMs: T0,
        },
      ]);
      vi.setSystemTime(T0 + 9 * M);
      sendMetrics(t, 'prod-eu');
      expect(await healthOf(t, 'prod-eu')).toMatchObject({
        state: 'healthy',
        reasons: [],
      });

      // A new episode starts a new since.
      isFiring = true;
      vi.setSystemTime(T0 + 10 * M);
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).reasons[0]!.sinceMs).toBe(
        T0 + 10 * M
      );
    });

    it('degraded → stale → healthy: a held reason does not outlive a silence longer than the clear time', async () => {
      const t = tracker();
      for (let i = 0; i < 3; i++)
        t.recordIngest(
          'prod-eu',
          'metrics',
          { refused: 'rate_limited' },
          Date.now()
        );
      expect((await healthOf(t, 'prod-eu')).state).toBe('degraded');
      vi.advanceTimersByTime(6 * M);
      expect((await healthOf(t, 'prod-eu')).state).toBe('stale');
      sendMetrics(t, 'prod-eu');
      expect((await healthOf(t, 'prod-eu')).state).toBe('healthy');
    });
  });
});
