/**
 * Why this file is long: every counting rule of the ingest stage (slo-ingest-stage.ts header) has its case here, next to the others.
 */
import { describe, expect, it, vi } from 'vitest';
import { DropReason } from '../model/index.js';
import type { SloSpec } from './slo-definition.js';
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
  contextOf,
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  nativeHistogram,
  SECOND_MS,
  SeriesFeed,
  T0,
  type Point,
} from '../../test/helpers/slo-fixtures.js';

useEngineHarness();

describe('SloEngine ingest (SloIngestStage)', () => {
  describe('observe()', () => {
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
      e.observe(batch, contextOf()); // the sender retried
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
      e.observe(stale, contextOf());
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
      e.observe(batch, contextOf());
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
        e.observe(
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
      e.observe(batch, contextOf());
      expect(ratio(await fleet(e), '5m')).toBe(0);
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
        e.observe(
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
        e.observe(feed.batch(histogram('a', i, T0 + i * STEP_MS)), contextOf());
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
          e.observe(
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
          e.observe(feed.histogramBatch([p]), contextOf());
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
          e.observe(
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
          e.observe(feed.histogramBatch([point('a', i, t)]), contextOf());
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
});
