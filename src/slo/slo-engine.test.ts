import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropReason, type SeriesBatch } from '../model/index.js';
import { MemoryStateStore } from '../state/index.js';
import {
  SLO_OVERFLOW_CLUSTER,
  SloEngine,
  type SloEngineOptions,
} from './slo-engine.js';
import type { SloSpec } from './slo-definition.js';
import type { SloReport } from './slo-report.js';
import {
  contextOf,
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  nativeHistogram,
  SECOND_MS,
  SeriesFeed,
  SharedMemoryStore,
  T0,
  type Point,
} from '../../test/helpers/slo-fixtures.js';

const STEP_MS = 15 * SECOND_MS;

const AVAILABILITY: SloSpec = {
  name: 'checkout-availability',
  service: 'checkout',
  objective: 0.999,
  window: 30 * DAY_MS,
  sli: {
    ratio: {
      bad: 'http_requests_total{job="checkout",code=~"5.."}',
      total: 'http_requests_total{job="checkout"}',
    },
  },
};

const LATENCY: SloSpec = {
  name: 'checkout-latency',
  service: 'checkout',
  objective: 0.99,
  window: 28 * DAY_MS,
  sli: {
    latency: {
      histogram: 'http_request_duration_seconds',
      threshold: 0.3,
      selector: '{job="checkout"}',
    },
  },
};

/** Cumulative request counters of one cluster's checkout service, scraped as two series. */
class Checkout {
  ok = 0;
  bad = 0;
  start = 0;
  readonly cluster: string;
  constructor(cluster: string, ok = 0, bad = 0) {
    this.cluster = cluster;
    this.ok = ok;
    this.bad = bad;
  }

  points(t: number): Point[] {
    const labels = (code: string) => ({
      __name__: 'http_requests_total',
      cluster: this.cluster,
      job: 'checkout',
      code,
    });
    return [
      { labels: labels('200'), value: this.ok, t, start: this.start },
      { labels: labels('500'), value: this.bad, t, start: this.start },
    ];
  }
}

let engines: SloEngine[] = [];

function engine(
  specs: readonly SloSpec[] = [AVAILABILITY],
  options: SloEngineOptions = {}
): SloEngine {
  const e = new SloEngine(specs, { now: () => Date.now(), ...options });
  engines.push(e);
  return e;
}

/** Sets the clock to `t` and sends one scrape of every service. */
function scrape(
  e: SloEngine,
  feed: SeriesFeed,
  t: number,
  services: readonly Checkout[]
): SeriesBatch {
  vi.setSystemTime(t);
  const batch = feed.batch(services.flatMap(s => s.points(t)));
  e.process(batch, contextOf());
  return batch;
}

/** Scrapes every STEP_MS in (from, to], adding `ok` good and `bad` bad requests per step to each service first. */
function run(
  e: SloEngine,
  feed: SeriesFeed,
  from: number,
  to: number,
  services: readonly Checkout[],
  ok: number,
  bad: number
): void {
  for (let t = from + STEP_MS; t <= to; t += STEP_MS) {
    for (const s of services) {
      s.ok += ok;
      s.bad += bad;
    }
    scrape(e, feed, t, services);
  }
}

function ratio(
  report: Pick<SloReport, 'windows'>,
  window: string
): number | null {
  return report.windows[window]!.error_ratio;
}

function clusterOf(
  report: SloReport,
  cluster: string
): SloReport['clusters'][number] {
  return report.clusters.find(c => c.cluster === cluster)!;
}

async function fleet(
  e: SloEngine,
  name = AVAILABILITY.name
): Promise<SloReport> {
  return (await e.report(name))!;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  await Promise.all(engines.map(e => e.stop()));
  engines = [];
  vi.useRealTimers();
});

describe('SloEngine', () => {
  describe('process()', () => {
    it('adds nothing for the first sample of a series, as increase() does', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      scrape(e, feed, T0 + STEP_MS, [new Checkout('a', 1000, 10)]);
      expect(ratio(await fleet(e), '5m')).toBeNull();
    });

    it('counts the increase between samples, bad over total', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 1000, 10);
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok += 95;
      a.bad += 5;
      scrape(e, feed, T0 + 2 * STEP_MS, [a]);
      expect(ratio(await fleet(e), '5m')).toBe(5 / 100);
    });

    it('treats a value drop as a counter reset: the increase is the new value', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 100, 0);
      scrape(e, feed, T0 + STEP_MS, [a]); // baseline
      a.ok = 150; // +50
      scrape(e, feed, T0 + 2 * STEP_MS, [a]);
      a.ok = 30; // reset: +30
      a.bad = 10; // +10
      scrape(e, feed, T0 + 3 * STEP_MS, [a]);
      a.ok = 50; // +20
      scrape(e, feed, T0 + 4 * STEP_MS, [a]);
      const report = await fleet(e);
      expect(ratio(report, '5m')).toBe(10 / (50 + 30 + 10 + 20));
    });

    it('treats a start timestamp after the previous sample as a reset, even when the value grew', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 100, 0);
      a.start = T0 - HOUR_MS;
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 200; // restarted at T0 + 20s and served 200 since
      a.start = T0 + 20 * SECOND_MS;
      scrape(e, feed, T0 + 2 * STEP_MS, [a]);
      expect((await fleet(e)).windows['5m']).toEqual({
        error_ratio: 0,
        burn_rate: 0,
      });
      expect(clusterOf(await fleet(e), 'a').error_budget.consumed).toBe(0);
      // 200 events, not 100: check through a bad event that makes the total visible.
      a.bad = 2;
      scrape(e, feed, T0 + 3 * STEP_MS, [a]);
      expect(ratio(await fleet(e), '5m')).toBe(2 / 202);
    });

    it('counts the whole first value when the start timestamp shows the counter began after the engine did', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 40, 10);
      a.start = T0 + 5 * SECOND_MS; // e.g. a new pod, or an OTLP delta sum's first point
      scrape(e, feed, T0 + STEP_MS, [a]);
      expect(ratio(await fleet(e), '5m')).toBe(10 / 50);
    });

    it('ignores a first value whose start timestamp predates the engine (a restart does not recount)', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 40, 10);
      a.start = T0 - DAY_MS;
      scrape(e, feed, T0 + STEP_MS, [a]);
      expect(ratio(await fleet(e), '5m')).toBeNull();
    });

    it('counts a retried request once: samples not newer than the last are ignored', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 0, 0);
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 90;
      a.bad = 10;
      const batch = scrape(e, feed, T0 + 2 * STEP_MS, [a]);
      e.process(batch, contextOf()); // the sender retried
      const report = await fleet(e);
      expect(ratio(report, '5m')).toBe(0.1);
      expect(e.stats().ignoredOutOfOrder).toBe(2);
    });

    it('skips staleness markers (NaN)', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 0, 0);
      scrape(e, feed, T0 + STEP_MS, [a]);
      const stale = feed.batch(
        a.points(T0 + 2 * STEP_MS).map(p => ({ ...p, value: Number.NaN }))
      );
      e.process(stale, contextOf());
      a.ok = 9;
      a.bad = 1;
      scrape(e, feed, T0 + 3 * STEP_MS, [a]);
      expect(ratio(await fleet(e), '5m')).toBe(0.1);
    });

    it('does not count across a gap longer than maxGapMs', async () => {
      const e = engine([AVAILABILITY], { maxGapMs: 5 * MINUTE_MS });
      const feed = new SeriesFeed();
      const a = new Checkout('a', 0, 0);
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 100;
      a.bad = 100;
      scrape(e, feed, T0 + 20 * MINUTE_MS, [a]); // after a 20m silence: a new start, nothing counted
      a.ok = 110;
      scrape(e, feed, T0 + 20 * MINUTE_MS + STEP_MS, [a]);
      expect(ratio(await fleet(e), '1h')).toBe(0);
    });

    it('reads the batch without changing it', () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a', 1, 1);
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 5;
      vi.setSystemTime(T0 + 2 * STEP_MS);
      const batch = feed.batch(a.points(T0 + 2 * STEP_MS));
      const before = JSON.stringify({
        labels: batch.labels,
        values: [...batch.values.subarray(0, 2)],
        dropped: [...batch.dropped.subarray(0, 2)],
      });
      e.process(batch, contextOf());
      const after = JSON.stringify({
        labels: batch.labels,
        values: [...batch.values.subarray(0, 2)],
        dropped: [...batch.dropped.subarray(0, 2)],
      });
      expect(after).toBe(before);
      // The feed's label arrays are frozen: a write would have thrown.
    });

    it('matches a stable series against the selectors once, not per request', () => {
      const e = engine([AVAILABILITY, LATENCY]);
      const feed = new SeriesFeed(true);
      const a = new Checkout('a');
      const unrelated: Point = {
        labels: { __name__: 'up', cluster: 'a', job: 'x' },
        value: 1,
        t: 0,
      };
      for (let i = 1; i <= 10; i++) {
        a.ok += 10;
        vi.setSystemTime(T0 + i * STEP_MS);
        e.process(
          feed.batch([
            ...a.points(T0 + i * STEP_MS),
            { ...unrelated, t: T0 + i * STEP_MS },
          ]),
          contextOf()
        );
      }
      // Two checkout series and one unrelated series, matched on their first request only.
      expect(e.stats().matchRuns).toBe(3);
      expect(e.stats().trackedSeries).toBe(2);
    });

    it('tracks unstable series (e.g. OTLP) by their hash, with the same results', async () => {
      const stable = engine();
      const unstable = engine();
      const stableFeed = new SeriesFeed(true);
      const unstableFeed = new SeriesFeed(false);
      const a1 = new Checkout('a');
      const a2 = new Checkout('a');
      for (let i = 1; i <= 8; i++) {
        for (const a of [a1, a2]) {
          a.ok += 97;
          a.bad += 3;
        }
        scrape(stable, stableFeed, T0 + i * STEP_MS, [a1]);
        scrape(unstable, unstableFeed, T0 + i * STEP_MS, [a2]);
      }
      expect(await fleet(unstable)).toEqual(await fleet(stable));
      expect(ratio(await fleet(unstable), '5m')).toBe(0.03);
    });

    it('ignores series an earlier stage dropped (they are not forwarded either)', async () => {
      const e = engine();
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      scrape(e, feed, T0 + STEP_MS, [a]);
      a.ok = 10;
      a.bad = 10;
      vi.setSystemTime(T0 + 2 * STEP_MS);
      const batch = feed.batch(a.points(T0 + 2 * STEP_MS));
      batch.dropped[1] = DropReason.CARDINALITY; // the code="500" series
      e.process(batch, contextOf());
      expect(ratio(await fleet(e), '5m')).toBe(0);
    });
  });

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

  describe('latency SLI', () => {
    /** Cumulative histogram of one cluster: per step 50 ≤ 0.1s, 95 ≤ 0.3s, 99 ≤ 1s, 100 in all. */
    function histogram(
      cluster: string,
      step: number,
      t: number,
      le = ['0.1', '0.3', '1', '+Inf']
    ): Point[] {
      const per: Record<string, number> = {
        '0.1': 50,
        '0.25': 80,
        '0.3': 95,
        '1': 99,
        '+Inf': 100,
      };
      const base = { cluster, job: 'checkout' };
      const name = 'http_request_duration_seconds';
      return [
        ...le.map(bound => ({
          labels: { ...base, __name__: `${name}_bucket`, le: bound },
          value: per[bound]! * step,
          t,
        })),
        {
          labels: { ...base, __name__: `${name}_count` },
          value: 100 * step,
          t,
        },
        { labels: { ...base, __name__: `${name}_sum` }, value: 12 * step, t },
      ];
    }

    it('counts good = the le="<threshold>" bucket and total = _count', async () => {
      const e = engine([LATENCY]);
      const feed = new SeriesFeed();
      for (let i = 1; i <= 5; i++) {
        vi.setSystemTime(T0 + i * STEP_MS);
        e.process(
          feed.batch([
            ...histogram('a', i, T0 + i * STEP_MS),
            ...histogram('b', 2 * i, T0 + i * STEP_MS),
          ]),
          contextOf()
        );
      }
      const report = await fleet(e, LATENCY.name);
      expect(report.windows['5m']!.error_ratio).toBeCloseTo(0.05, 12);
      expect(report.windows['5m']!.burn_rate).toBeCloseTo(5, 9);
      expect(report.window).toBe('28d');
      expect(report.warnings).toEqual([]);
    });

    it('warns when the threshold is not one of the le buckets seen', async () => {
      const e = engine([
        {
          ...LATENCY,
          sli: {
            latency: {
              ...('latency' in LATENCY.sli
                ? LATENCY.sli.latency
                : { histogram: '' }),
              threshold: 0.25,
              selector: '{job="checkout"}',
            },
          },
        },
      ]);
      const feed = new SeriesFeed();
      for (let i = 1; i <= 3; i++) {
        vi.setSystemTime(T0 + i * STEP_MS);
        e.process(feed.batch(histogram('a', i, T0 + i * STEP_MS)), contextOf());
      }
      const report = await fleet(e, LATENCY.name);
      expect(report.warnings).toEqual([
        'the threshold 0.25 is not one of the bucket bounds seen on http_request_duration_seconds_bucket{job="checkout"} or native histograms http_request_duration_seconds{job="checkout"} (0.1, 0.3, 1, +Inf): set the threshold to one of them; until then a classic histogram counts no event as good (error ratio 1) and a native one counts the bucket holding the threshold as bad',
      ]);
      expect(report.windows['5m']!.error_ratio).toBe(1);
    });

    describe('native histograms', () => {
      const NATIVE: SloSpec = {
        ...LATENCY,
        name: 'checkout-latency-native',
        sli: {
          latency: {
            histogram: 'http_request_duration_seconds',
            threshold: 0.25,
            selector: '{job="checkout"}',
          },
        },
      };
      const withThreshold = (name: string, threshold: number): SloSpec => ({
        ...NATIVE,
        name,
        sli: {
          latency: {
            histogram: 'http_request_duration_seconds',
            threshold,
            selector: '{job="checkout"}',
          },
        },
      });

      /**
       * Schema 0 buckets after `steps` steps of 100 requests: 50 ≤ 1/16 s,
       * 30 in (1/8, 1/4], 15 in (1/4, 1/2], 5 in (1, 2]: 80 of 100 are
       * at or below 0.25 s.
       */
      function point(
        cluster: string,
        steps: number,
        t: number,
        extra: { resetHint?: number; startTimestampMs?: number } = {}
      ) {
        return {
          labels: {
            __name__: 'http_request_duration_seconds',
            cluster,
            job: 'checkout',
          },
          histogram: nativeHistogram({
            schema: 0,
            positive: new Map([
              [-4, 50 * steps],
              [-2, 30 * steps],
              [-1, 15 * steps],
              [1, 5 * steps],
            ]),
            timestampMs: t,
            ...extra,
          }),
        };
      }

      it('counts good = observations at or below the threshold and total = the count', async () => {
        const e = engine([NATIVE, withThreshold('within-2s', 2)]);
        const feed = new SeriesFeed();
        for (let i = 1; i <= 5; i++) {
          const t = T0 + i * STEP_MS;
          vi.setSystemTime(t);
          e.process(
            feed.histogramBatch([point('a', i, t), point('b', 3 * i, t)]),
            contextOf()
          );
        }
        const report = await fleet(e, NATIVE.name);
        expect(report.windows['5m']!.error_ratio).toBeCloseTo(0.2, 12);
        expect(report.warnings).toEqual([]);
        expect(report.clusters.map(c => c.cluster).sort()).toEqual(['a', 'b']);
        // The same series feeds an SLO with another threshold.
        const lenient = await fleet(e, 'within-2s');
        expect(lenient.windows['5m']!.error_ratio).toBe(0);
      });

      it('takes a drop in the count as a counter reset', async () => {
        const e = engine([NATIVE]);
        const feed = new SeriesFeed();
        const send = (p: ReturnType<typeof point>, t: number): void => {
          vi.setSystemTime(t);
          e.process(feed.histogramBatch([p]), contextOf());
        };
        for (let i = 1; i <= 3; i++)
          send(point('a', i, T0 + i * STEP_MS), T0 + i * STEP_MS);
        // Restarted: 100 requests since, all fast; then 100 more.
        const fast = (count: number, t: number) => ({
          ...point('a', 0, t),
          histogram: nativeHistogram({
            schema: 0,
            positive: new Map([[-4, count]]),
            timestampMs: t,
          }),
        });
        send(fast(100, T0 + 4 * STEP_MS), T0 + 4 * STEP_MS);
        send(fast(200, T0 + 5 * STEP_MS), T0 + 5 * STEP_MS);
        // Counted: 2 steps of 100 with 20 slow, then 200 fast.
        const report = await fleet(e, NATIVE.name);
        expect(report.windows['5m']!.error_ratio).toBeCloseTo(40 / 400, 12);
      });

      it('skips gauge histograms (not counters)', async () => {
        const e = engine([NATIVE]);
        const feed = new SeriesFeed();
        for (let i = 1; i <= 3; i++) {
          const t = T0 + i * STEP_MS;
          vi.setSystemTime(t);
          e.process(
            feed.histogramBatch([point('a', i, t, { resetHint: 3 })]),
            contextOf()
          );
        }
        const report = await fleet(e, NATIVE.name);
        expect(report.windows['5m']!.error_ratio).toBeNull();
      });

      it('counts the bucket holding an off-bound threshold as bad, and warns with its bounds', async () => {
        const e = engine([withThreshold('off-bound', 0.3)]);
        const feed = new SeriesFeed();
        for (let i = 1; i <= 3; i++) {
          const t = T0 + i * STEP_MS;
          vi.setSystemTime(t);
          e.process(feed.histogramBatch([point('a', i, t)]), contextOf());
        }
        const report = await fleet(e, 'off-bound');
        expect(report.windows['5m']!.error_ratio).toBeCloseTo(0.2, 12);
        expect(report.warnings).toHaveLength(1);
        expect(report.warnings[0]).toContain(
          'the threshold 0.3 is not one of the bucket bounds seen'
        );
        expect(report.warnings[0]).toContain('(0.25, 0.5)');
      });
    });

    it('says when nothing matched yet', async () => {
      const e = engine([LATENCY]);
      const report = await fleet(e, LATENCY.name);
      expect(report.warnings).toEqual([
        'no series matching http_request_duration_seconds_bucket{job="checkout"} or native histograms http_request_duration_seconds{job="checkout"} seen yet: the threshold 0.3 cannot be checked against their buckets',
        'no series matching the total selector http_request_duration_seconds_count{job="checkout"} seen yet',
      ]);
      expect(report.sli).toBeNull();
      expect(report.error_budget).toEqual({
        total: 0.010000000000000009,
        consumed: 0,
        remaining: 1,
      });
    });
  });

  describe('bounded state', () => {
    it('keeps at most 64 KiB per (SLO, cluster), however long it runs', () => {
      const e = engine([AVAILABILITY, LATENCY]);
      const feed = new SeriesFeed();
      const services = Array.from(
        { length: 20 },
        (_, i) => new Checkout(`c${i}`)
      );
      run(e, feed, T0, T0 + 30 * MINUTE_MS, services, 10, 1);
      const first = e.stats();
      expect(first.counters).toBe(20);
      expect(first.stateBytes / first.counters).toBeLessThanOrEqual(64 * 1024);
      run(e, feed, T0 + 30 * MINUTE_MS, T0 + 90 * MINUTE_MS, services, 10, 1);
      expect(e.stats().stateBytes).toBe(first.stateBytes);
    });

    it('forgets idle series after seriesTtlMs, and a returning series starts over', async () => {
      const e = engine([AVAILABILITY], {
        seriesTtlMs: 5 * MINUTE_MS,
        maxGapMs: HOUR_MS,
      });
      const feed = new SeriesFeed();
      const a = new Checkout('a');
      run(e, feed, T0, T0 + 2 * STEP_MS, [a], 10, 0);
      expect(e.stats().trackedSeries).toBe(2);
      vi.setSystemTime(T0 + 2 * MINUTE_MS);
      await e.maintain();
      vi.setSystemTime(T0 + 10 * MINUTE_MS);
      await e.maintain();
      expect(e.stats().trackedSeries).toBe(0);
      a.ok += 1000;
      a.bad += 1000;
      scrape(e, feed, T0 + 11 * MINUTE_MS, [a]); // its first sample again: nothing
      a.ok += 10;
      scrape(e, feed, T0 + 11 * MINUTE_MS + STEP_MS, [a]);
      expect(ratio(await fleet(e), '1h')).toBe(0);
    });

    it('drops a cluster with no event in anything the SLO keeps', async () => {
      const e = engine([{ ...AVAILABILITY, window: DAY_MS }], {
        seriesTtlMs: HOUR_MS,
      });
      const feed = new SeriesFeed();
      run(e, feed, T0, T0 + 2 * STEP_MS, [new Checkout('gone')], 10, 1);
      expect(e.stats().counters).toBe(1);
      vi.setSystemTime(T0 + 3 * DAY_MS + HOUR_MS);
      await e.maintain();
      expect(e.stats().counters).toBe(0);
      expect((await fleet(e)).clusters).toEqual([]);
    });

    it('does not track series past maxSeries, and counts them', () => {
      const e = engine([AVAILABILITY], { maxSeries: 2 });
      const feed = new SeriesFeed();
      run(
        e,
        feed,
        T0,
        T0 + 2 * STEP_MS,
        [new Checkout('a'), new Checkout('b')],
        1,
        1
      );
      expect(e.stats().trackedSeries).toBe(2);
      expect(e.stats().ignoredUntracked).toBeGreaterThan(0);
    });
  });

  describe('with a shared store', () => {
    it('gives the same answer on two replicas: the sum of both', async () => {
      const store = new SharedMemoryStore();
      const a = engine([AVAILABILITY, LATENCY], { store, replicaId: 'a' });
      const b = engine([AVAILABILITY, LATENCY], { store, replicaId: 'b' });
      const alone = engine([AVAILABILITY, LATENCY]);
      const [feedA, feedB, feedAlone] = [
        new SeriesFeed(),
        new SeriesFeed(),
        new SeriesFeed(),
      ];
      const x = [new Checkout('x'), new Checkout('x')];
      const y = [new Checkout('y'), new Checkout('y')];
      for (let i = 1; i <= 20; i++) {
        for (const s of [...x, ...y]) {
          s.ok += 90 + i;
          s.bad += i % 3;
        }
        scrape(a, feedA, T0 + i * STEP_MS, [x[0]!]);
        scrape(b, feedB, T0 + i * STEP_MS, [y[0]!]);
        scrape(alone, feedAlone, T0 + i * STEP_MS, [x[1]!, y[1]!]);
      }
      await a.publish();
      await b.publish();
      const fromA = await a.reports();
      const fromB = await b.reports();
      expect(fromB).toEqual(fromA);
      expect(fromA).toEqual(await alone.reports());
      expect(
        clusterOf(fromA[0]!, 'y').windows['5m']!.error_ratio
      ).not.toBeNull();
      // Each replica published only its own events.
      expect(
        (await a.report(AVAILABILITY.name, { cluster: 'x' }))!.windows['5m']
      ).toEqual(
        (await alone.report(AVAILABILITY.name, { cluster: 'x' }))!.windows['5m']
      );
    });

    it('publishes on its timer and answers from the published sums', async () => {
      const store = new SharedMemoryStore();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      await a.start();
      const feed = new SeriesFeed();
      const x = new Checkout('x');
      run(a, feed, T0, T0 + 4 * STEP_MS, [x], 9, 1);
      // Not yet published: the answer lags by at most the publish interval.
      expect(ratio(await fleet(a), '5m')).toBeNull();
      await vi.advanceTimersByTimeAsync(6 * SECOND_MS);
      expect(ratio(await fleet(a), '5m')).toBe(0.1);
    });

    it('reloads its own state when it restarts with the same replica id', async () => {
      const store = new SharedMemoryStore();
      const first = engine([AVAILABILITY], { store, replicaId: 'gw-0' });
      await first.start();
      const feed = new SeriesFeed();
      const x = new Checkout('x');
      run(first, feed, T0, T0 + HOUR_MS, [x], 99, 1);
      await first.publish();
      const before = await fleet(first);
      await first.stop();

      vi.setSystemTime(T0 + HOUR_MS + 30 * SECOND_MS);
      const second = engine([AVAILABILITY], { store, replicaId: 'gw-0' });
      await second.start();
      expect(second.stats().counters).toBe(1);
      const after = await fleet(second);
      expect(after.windows['30d']).toEqual(before.windows['30d']);
      expect(after.windows['1h']!.error_ratio).toBeCloseTo(0.01, 12);
      // Its series start over (first samples add nothing): the restart counts nothing twice.
      run(
        second,
        new SeriesFeed(),
        T0 + HOUR_MS + 30 * SECOND_MS,
        T0 + HOUR_MS + 90 * SECOND_MS,
        [x],
        100,
        0
      );
      await second.publish();
      const later = await fleet(second);
      // The first run's first scrape was its baseline: 239 steps; the second adds 3 clean steps.
      expect(later.windows['6h']!.error_ratio).toBeCloseTo(
        239 / (239 * 100 + 3 * 100),
        12
      );
    });

    it('keeps counting a replica that is gone, from its last bucket state', async () => {
      const store = new SharedMemoryStore();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      const b = engine([AVAILABILITY], { store, replicaId: 'b' });
      await a.start();
      await b.start();
      const x = new Checkout('x');
      const y = new Checkout('y');
      const [feedA, feedB] = [new SeriesFeed(), new SeriesFeed()];
      for (let i = 1; i <= 8; i++) {
        x.ok += 10;
        y.ok += 8;
        y.bad += 2;
        scrape(a, feedA, T0 + i * STEP_MS, [x]);
        scrape(b, feedB, T0 + i * STEP_MS, [y]);
      }
      await a.publish();
      await b.publish();
      // 7 steps each after the baseline: x 70 good, y 56 good and 14 bad.
      const both = await fleet(a);
      expect(ratio(both, '1h')).toBe(14 / 140);
      await b.stop(); // publishes its bucket state; then it is gone for good
      engines = engines.filter(e => e !== b);
      await vi.advanceTimersByTimeAsync(20 * SECOND_MS); // b's window sums lapse
      const after = await fleet(a);
      expect(after.clusters.map(c => c.cluster).sort()).toEqual(['x', 'y']);
      expect(ratio(after, '1h')).toBeCloseTo(14 / 140, 12);
    });

    it('answers from local state with a store that is not shared, publishing nothing', async () => {
      const store = new MemoryStateStore();
      const a = engine([AVAILABILITY], { store, replicaId: 'a' });
      await a.start();
      run(a, new SeriesFeed(), T0, T0 + 4 * STEP_MS, [new Checkout('x')], 9, 1);
      await vi.advanceTimersByTimeAsync(10 * SECOND_MS);
      expect(ratio(await fleet(a), '5m')).toBe(0.1);
      expect(await store.readSnapshots('slo-windows', Date.now())).toEqual([]);
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
