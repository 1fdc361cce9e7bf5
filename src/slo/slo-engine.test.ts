import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { SLO_OVERFLOW_CLUSTER } from './slo-set.js';
import {
  AVAILABILITY,
  Checkout,
  clusterOf,
  engine,
  fleet,
  LATENCY,
  ratio,
  run,
  scrape,
  STEP_MS,
  useEngineHarness,
} from '../../test/helpers/slo-engine-harness.js';
import {
  HOUR_MS,
  MINUTE_MS,
  SeriesFeed,
  T0,
} from '../../test/helpers/slo-fixtures.js';

useEngineHarness();

describe('SloEngine', () => {
  describe('clusters and the fleet', () => {
    it('sums events over clusters for the fleet, not ratios', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const big = new Checkout('big');
      const small = new Checkout('small');
      scrape(e, feed, T0 + STEP_MS, [big, small]);
      big.ok += 999;
      big.bad += 1;
      small.ok += 5;
      small.bad += 5;
      scrape(e, feed, T0 + 2 * STEP_MS, [big, small]);
      const report = await fleet(e);
      expect(ratio(report, '5m')).toBe(6 / 1010);
      expect(ratio(clusterOf(report, 'big'), '5m')).toBe(0.001);
      expect(ratio(clusterOf(report, 'small'), '5m')).toBe(0.5);
    });

    it('lists clusters by budget consumed, most first', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const services = [
        new Checkout('a'),
        new Checkout('b'),
        new Checkout('c'),
      ];
      scrape(e, feed, T0 + STEP_MS, services);
      services[0]!.ok += 100;
      services[1]!.ok += 90;
      services[1]!.bad += 10;
      services[2]!.ok += 99;
      services[2]!.bad += 1;
      scrape(e, feed, T0 + 2 * STEP_MS, services);
      const report = await fleet(e);
      expect(report.clusters.map(c => c.cluster)).toEqual(['b', 'c', 'a']);
      expect(report.clusters[0]!.error_budget.consumed).toBeCloseTo(100, 9);
    });

    it('adds nothing for a cluster that stops sending, which then leaves the short windows', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      const b = new Checkout('b');
      run(e, feed, T0, T0 + 10 * MINUTE_MS, [a, b], 99, 1);
      // b stops; a goes on without errors for 10 minutes.
      run(e, feed, T0 + 10 * MINUTE_MS, T0 + 20 * MINUTE_MS, [a], 100, 0);
      const report = await fleet(e);
      expect(ratio(clusterOf(report, 'b'), '5m')).toBeNull();
      expect(ratio(report, '5m')).toBe(0);
      // The hour still holds b's 39 steps: 39 bad of 3900, and a's 39 bad of 3900 + 4000.
      expect(ratio(clusterOf(report, 'b'), '1h')).toBe(0.01);
      expect(ratio(report, '1h')).toBeCloseTo(78 / (3900 + 3900 + 4000), 12);
    });

    it('joins a late cluster cleanly: its counts so far are not new events', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      run(e, feed, T0, T0 + 30 * MINUTE_MS, [a], 100, 0);
      // c has served for weeks before it joins: a million requests, half of them bad.
      const c = new Checkout('c', 500_000, 500_000);
      run(e, feed, T0 + 30 * MINUTE_MS, T0 + 40 * MINUTE_MS, [a, c], 99, 1);
      const report = await fleet(e);
      expect(ratio(clusterOf(report, 'c'), '1h')).toBe(0.01);
      // c's first scrape adds nothing: 39 of its 40 steps count.
      expect(ratio(report, '5m')).toBe(0.01);
      expect(ratio(report, '1h')).toBeCloseTo(
        (40 + 39) / (159 * 100 + 39 * 100),
        12
      );
    });

    it('folds clusters past maxClustersPerSlo into one overflow entry, keeping the fleet whole', async () => {
      const e = engine([AVAILABILITY], { maxClustersPerSlo: 2 });
      const feed = new SeriesFeed();
      const services = ['a', 'b', 'c', 'd'].map(name => new Checkout(name));
      run(e, feed, T0, T0 + 2 * STEP_MS, services, 9, 1);
      const report = await fleet(e);
      expect(report.clusters.map(c => c.cluster).sort()).toEqual([
        SLO_OVERFLOW_CLUSTER,
        'a',
        'b',
      ]);
      expect(ratio(report, '5m')).toBe(0.1);
    });
  });

  describe('windows, burn rates and alerts', () => {
    it('reports every window with error ratio and burn rate, and the budget over the SLO window', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      run(e, feed, T0, T0 + 2 * HOUR_MS, [a], 1000, 0);
      run(
        e,
        feed,
        T0 + 2 * HOUR_MS,
        T0 + 2 * HOUR_MS + 5 * MINUTE_MS,
        [a],
        998,
        2
      );
      const report = await fleet(e);
      expect(Object.keys(report.windows)).toEqual([
        '5m',
        '30m',
        '1h',
        '2h',
        '6h',
        '1d',
        '3d',
        '30d',
      ]);
      expect(report.windows['5m']!.error_ratio).toBe(0.002);
      expect(report.windows['5m']!.burn_rate).toBeCloseTo(2, 9);
      // 40 bad of 480 + 20 steps of 1000 over everything kept.
      const whole = 40 / (499 * 1000);
      expect(report.windows['30d']!.error_ratio).toBeCloseTo(whole, 15);
      expect(report.error_budget.total).toBeCloseTo(0.001, 15);
      expect(report.error_budget.consumed).toBeCloseTo(whole / 0.001, 9);
      expect(report.error_budget.remaining).toBeCloseTo(1 - whole / 0.001, 9);
      expect(report.sli).toBeCloseTo(1 - whole, 15);
      expect(report.window).toBe('30d');
    });

    it('counts events on a window edge like a PromQL range (now − window, now]', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 1;
      a.bad = 1;
      scrape(e, feed, T0 + 2 * STEP_MS, [a]);
      a.ok = 3;
      scrape(e, feed, T0 + 3 * STEP_MS, [a]);
      // Events: 1 bad + 1 good at T0 + 30s, 2 good at T0 + 45s.
      // Window (T0 + 15s, T0 + 5m15s]: all of them.
      vi.setSystemTime(T0 + STEP_MS + 5 * MINUTE_MS);
      expect((await fleet(e)).windows['5m']!.error_ratio).toBe(1 / 4);
      // Window (T0 + 22.5s, …]: half of the bucket (T0 + 15s, T0 + 30s] is inside, prorated.
      vi.setSystemTime(T0 + 1.5 * STEP_MS + 5 * MINUTE_MS);
      expect((await fleet(e)).windows['5m']!.error_ratio).toBe(0.5 / (1 + 2));
      // Window (T0 + 30s, …]: the events at T0 + 30s are on the left edge: out.
      vi.setSystemTime(T0 + 2 * STEP_MS + 5 * MINUTE_MS);
      expect((await fleet(e)).windows['5m']!.error_ratio).toBe(0);
    });

    it('pages on a fast burn and resolves when the short windows recover', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      const start = T0;
      run(e, feed, start, start + 2 * HOUR_MS, [a], 100, 0);
      // 5% errors: burn rate 50 over 5m.
      run(
        e,
        feed,
        start + 2 * HOUR_MS,
        start + 2 * HOUR_MS + 10 * MINUTE_MS,
        [a],
        95,
        5
      );
      let report = await fleet(e);
      expect(report.windows['5m']!.burn_rate).toBeCloseTo(50, 9);
      // 1h burn 8.3 < 14.4 and 6h burn 3.8 < 6: no page yet; 2h 4.2 and 1d 3.8 > 3: ticket.
      expect(report.windows['1h']!.burn_rate).toBeCloseTo(
        200 / 24_000 / 0.001,
        6
      );
      expect(report.alerts).toEqual({ page: false, ticket: true });
      run(
        e,
        feed,
        start + 2 * HOUR_MS + 10 * MINUTE_MS,
        start + 2 * HOUR_MS + 30 * MINUTE_MS,
        [a],
        95,
        5
      );
      report = await fleet(e);
      expect(report.windows['1h']!.burn_rate).toBeCloseTo(25, 6);
      expect(report.alerts.page).toBe(true);
      expect(clusterOf(report, 'a').alerts.page).toBe(true);
      // Errors stop. After 5m the fast pair is quiet, the slow one (6h/30m) still pages.
      run(
        e,
        feed,
        start + 2 * HOUR_MS + 30 * MINUTE_MS,
        start + 2 * HOUR_MS + 35 * MINUTE_MS,
        [a],
        100,
        0
      );
      report = await fleet(e);
      expect(report.windows['5m']!.burn_rate).toBe(0);
      expect(report.alerts.page).toBe(true);
      // After 30m both short windows are clean: resolved, though the 1h burn is still 25.
      run(
        e,
        feed,
        start + 2 * HOUR_MS + 35 * MINUTE_MS,
        start + 3 * HOUR_MS,
        [a],
        100,
        0
      );
      report = await fleet(e);
      expect(report.windows['1h']!.burn_rate).toBeCloseTo(25, 6);
      expect(report.alerts.page).toBe(false);
    });

    it('uses a configured alert table', async () => {
      const e = engine([
        {
          ...AVAILABILITY,
          alerting: {
            windows: [
              {
                severity: 'critical',
                long: HOUR_MS,
                short: 5 * MINUTE_MS,
                factor: 1,
              },
            ],
          },
        },
      ]);
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      run(e, feed, T0, T0 + 10 * MINUTE_MS, [a], 998, 2);
      expect((await fleet(e)).alerts).toEqual({ critical: true });
    });
  });

  describe('reconfigure()', () => {
    it('keeps the counts of an unchanged SLO and starts a changed one empty', async () => {
      const e = engine([AVAILABILITY, LATENCY]);
      const feed = new SeriesFeed();
      run(e, feed, T0, T0 + 4 * STEP_MS, [new Checkout('a')], 9, 1);
      e.reconfigure([
        { ...AVAILABILITY, objective: 0.99, description: 'now 99%' },
        {
          ...AVAILABILITY,
          name: 'other',
          sli: {
            ratio: {
              good: 'http_requests_total{code="200"}',
              total: 'http_requests_total',
            },
          },
        },
      ]);
      const [kept, other] = await e.reports();
      expect(kept!.windows['5m']).toEqual({
        error_ratio: 0.1,
        burn_rate: 0.1 / (1 - 0.99),
      });
      expect(kept!.description).toBe('now 99%');
      expect(other!.windows['5m']!.error_ratio).toBeNull();
    });
  });

  describe('queries', () => {
    it('narrows to one cluster and one window', async () => {
      const e = engine();
      run(
        e,
        new SeriesFeed(),
        T0,
        T0 + 4 * STEP_MS,
        [new Checkout('a'), new Checkout('b')],
        9,
        1
      );
      const report = (await e.report(AVAILABILITY.name, {
        cluster: 'b',
        window: '1h',
      }))!;
      expect(report.cluster).toBe('b');
      expect(report.clusters.map(c => c.cluster)).toEqual(['b']);
      expect(Object.keys(report.windows)).toEqual(['1h']);
      expect(Object.keys(report.clusters[0]!.windows)).toEqual(['1h']);
    });

    it('refuses a window the SLO does not report, naming those it does', async () => {
      const e = engine();
      await expect(
        e.report(AVAILABILITY.name, { window: '7h' })
      ).rejects.toThrow(
        `cannot use 'window' param "7h": SLO "checkout-availability" reports 5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d`
      );
      await expect(e.reports({ window: 'soon' })).rejects.toThrow(
        /cannot parse 'window' param "soon"/
      );
    });

    it('answers undefined for an unknown SLO', async () => {
      expect(await engine().report('nope')).toBeUndefined();
    });
  });

  describe('metrics', () => {
    it('exposes the figures, cluster="" being the fleet', async () => {
      const registry = new Registry();
      const e = engine([AVAILABILITY], { registry });
      run(
        e,
        new SeriesFeed(),
        T0,
        T0 + 4 * STEP_MS,
        [new Checkout('a'), new Checkout('b', 0, 0)],
        9,
        1
      );
      const text = await registry.metrics();
      expect(text).toContain(
        'fleetgate_slo_objective{slo="checkout-availability"} 0.999'
      );
      expect(text).toContain(
        'fleetgate_slo_error_ratio{slo="checkout-availability",cluster="",window="5m"} 0.1'
      );
      expect(text).toContain(
        'fleetgate_slo_error_ratio{slo="checkout-availability",cluster="a",window="30d"} 0.1'
      );
      const burn =
        /fleetgate_slo_burn_rate\{slo="checkout-availability",cluster="b",window="1h"\} (\S+)/.exec(
          text
        );
      expect(Number(burn?.[1])).toBeCloseTo(100, 9);
      expect(text).toContain(
        'fleetgate_slo_alert{slo="checkout-availability",cluster="",severity="page"} 1'
      );
      expect(text).toContain(
        'fleetgate_slo_alert{slo="checkout-availability",cluster="a",severity="ticket"} 1'
      );
      expect(text).toMatch(
        /fleetgate_slo_error_budget_remaining\{slo="checkout-availability",cluster=""\} -/
      );
      expect(text).toContain('fleetgate_slo_tracked_series 4');
      expect(text).toContain(
        'fleetgate_slo_samples_ignored_total{reason="out_of_order"} 0'
      );
      expect(text).toContain(
        'fleetgate_slo_warnings{slo="checkout-availability"} 0'
      );
    });
  });
});
