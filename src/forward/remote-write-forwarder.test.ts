/**
 * Why this file is long: the forwarder's whole contract (sharding, retries, Retry-After, 4xx set aside, splitting, back-pressure) against one sink fixture.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { OverloadedError, UnavailableError } from '../errors.js';
import {
  labelsFromRecord,
  MetricType,
  type MetricMetadata,
} from '../model/index.js';
import { SelfMetrics, silentLogger } from '../telemetry/index.js';
import { hashLabels } from './hash-labels.js';
import {
  RemoteWriteForwarder,
  type RemoteWriteForwarderDeps,
} from './remote-write-forwarder.js';
import {
  buildBatch,
  buildRound,
  captureLogger,
  metricValue,
  testTarget,
  type TestSeries,
} from '../../test/helpers/forward-fixtures.js';
import { RemoteWriteSink } from '../../test/helpers/remote-write-sink.js';

const COUNTER_META: MetricMetadata = {
  type: MetricType.COUNTER,
  familyName: 'http_requests',
  help: 'Requests.',
  unit: '',
};
const GAUGE_META: MetricMetadata = {
  type: MetricType.GAUGE,
  familyName: 'temperature',
  help: 'Heat.',
  unit: 'celsius',
};

describe('RemoteWriteForwarder', () => {
  let sink: RemoteWriteSink;
  let metrics: SelfMetrics;
  const running: RemoteWriteForwarder[] = [];

  function forwarder(
    target: Partial<RemoteWriteTargetConfig> = {},
    deps: Partial<RemoteWriteForwarderDeps> = {}
  ): RemoteWriteForwarder {
    const created = new RemoteWriteForwarder(testTarget(sink.url, target), {
      logger: silentLogger(),
      metrics,
      version: 'test',
      ...deps,
    });
    running.push(created);
    return created;
  }

  beforeEach(async () => {
    sink = await RemoteWriteSink.start();
    metrics = new SelfMetrics({ collectProcessMetrics: false });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(running.splice(0).map(f => f.stop(0)));
    await sink.close();
  });

  describe('enqueue()', () => {
    it('delivers every sample exactly once, in per-series order, across shards', async () => {
      const f = forwarder({ shards: 4, max_samples_per_send: 200 });
      f.start();
      const rounds = 6;
      for (let round = 0; round < rounds; round++)
        await f.enqueue(buildRound(round, 100, 2));
      await sink.waitFor(() => sink.acceptedSampleCount() === rounds * 100 * 2);

      const bySeries = sink.acceptedSamples();
      expect(bySeries.size).toBe(100);
      for (const samples of bySeries.values()) {
        expect(samples.map(s => s.value)).toEqual(
          Array.from({ length: rounds * 2 }, (_, k) => k)
        );
      }
      // A round puts at most 200 points in a shard's fragment, so every request fits the limit.
      for (const request of sink.requests) {
        expect(
          request.series.reduce((n, s) => n + s.samples.length, 0)
        ).toBeLessThanOrEqual(200);
      }
      const downstream = `127.0.0.1:${sink.port}/api/v1/write`;
      await vi.waitFor(async () =>
        expect(
          await metricValue(metrics, 'forwardedSamples', { downstream })
        ).toBe(1200)
      );
      expect(
        await metricValue(metrics, 'forwardQueueSamples', { downstream })
      ).toBe(0);
      expect(
        await metricValue(metrics, 'forwardQueueCapacity', { downstream })
      ).toBe(100_000);
      expect(
        await metricValue(metrics, 'forwardLastSuccess', { downstream })
      ).toBeGreaterThan(0);
      expect(f.stats().queuedPoints).toBe(0);
    });

    it('keeps each series on one shard', async () => {
      const f = forwarder({
        shards: 8,
        max_samples_per_send: 1000,
        batch_send_deadline: 60_000,
      });
      await f.enqueue(buildRound(0, 200));
      const perShard = f.stats().shards.map(s => s.queuedPoints);
      const want = Array.from({ length: 8 }, () => 0);
      for (let i = 0; i < 200; i++) {
        want[
          hashLabels(
            labelsFromRecord({ __name__: 'test_metric', instance: `i-${i}` })
          ) % 8
        ]!++;
      }
      expect(perShard).toEqual(want);
    });

    it('sends a fragment larger than max_samples_per_send alone', async () => {
      const f = forwarder({ shards: 1, max_samples_per_send: 10 });
      await f.enqueue(buildRound(0, 25));
      await f.enqueue(buildRound(1, 3));
      f.start();
      await sink.waitFor(() => sink.acceptedSampleCount() === 28);
      expect(sink.requests.map(r => r.series.length)).toEqual([25, 3]);
    });

    it('keeps multibyte UTF-8 label values intact', async () => {
      const labels = {
        __name__: 'größe_bytes',
        city: 'Zürich',
        note: '日本語 🚀 ∑',
        empty_free: 'ü',
      };
      await forwarder().enqueue(
        buildBatch([{ labels, samples: [[42.5, 1_700_000_000_123]] }])
      );
      running[0]!.start();
      await sink.waitFor(() => sink.acceptedSampleCount() === 1);
      expect(sink.requests[0]?.series[0]?.labels).toEqual(
        labelsFromRecord(labels)
      );
      expect(sink.requests[0]?.series[0]?.samples).toEqual([
        { value: 42.5, timestampMs: 1_700_000_000_123 },
      ]);
    });

    it('skips dropped series', async () => {
      const f = forwarder({ shards: 2 });
      await f.enqueue(
        buildBatch([
          { labels: { __name__: 'kept' }, samples: [[1, 1000]] },
          {
            labels: { __name__: 'gone' },
            samples: [[2, 1000]],
            isDropped: true,
          },
        ])
      );
      expect(f.stats().queuedPoints).toBe(1);
      f.start();
      await sink.waitFor(() => sink.acceptedSampleCount() === 1);
      expect([...sink.acceptedSamples().keys()]).toEqual(['__name__=kept']);
    });

    it('sends each family metadata once per enqueue, in shard 0', async () => {
      const series: TestSeries[] = [];
      for (let i = 0; i < 20; i++) {
        series.push({
          labels: { __name__: 'http_requests_total', pod: `p${i}` },
          samples: [[i, 1000]],
          metadata: COUNTER_META,
        });
      }
      const f = forwarder({ shards: 4, batch_send_deadline: 60_000 });
      f.start();
      await f.enqueue(buildBatch(series, [GAUGE_META, COUNTER_META]));
      // Metadata takes bytes, not points.
      expect(f.stats().queuedPoints).toBe(20);
      expect(f.stats().shards[0]?.queuedFragments).toBe(1);
      await f.stop(2000);
      const metadata = sink.requests.flatMap(r => r.metadata);
      expect(metadata).toEqual([
        {
          type: MetricType.COUNTER,
          familyName: 'http_requests',
          help: 'Requests.',
          unit: '',
        },
        {
          type: MetricType.GAUGE,
          familyName: 'temperature',
          help: 'Heat.',
          unit: 'celsius',
        },
      ]);
    });

    it('sends metadata that came without series', async () => {
      const f = forwarder({ shards: 4 });
      f.start();
      await f.enqueue(buildBatch([], [GAUGE_META]));
      await sink.waitFor(() => sink.accepted().length === 1);
      expect(sink.requests[0]?.metadata.map(m => m.familyName)).toEqual([
        'temperature',
      ]);
      expect(sink.requests[0]?.series).toEqual([]);
    });

    it('refuses with OverloadedError and appends nothing when any shard is full', async () => {
      const f = forwarder({ shards: 2, capacity: 20 });
      const onShard = (
        shard: number,
        count: number,
        from = 0
      ): TestSeries[] => {
        const out: TestSeries[] = [];
        for (let i = from; out.length < count; i++) {
          const labels = { __name__: 'm', id: String(i) };
          if (hashLabels(labelsFromRecord(labels)) % 2 === shard)
            out.push({ labels, samples: [[i, 1000]] });
        }
        return out;
      };
      await f.enqueue(buildBatch(onShard(0, 8)));
      const before = f.stats();
      expect(before.shards.map(s => s.queuedPoints)).toEqual([8, 0]);

      // Shard 1 has room for these 3, shard 0 has room for 2 of its 3.
      const overflowing = buildBatch([
        ...onShard(1, 3),
        ...onShard(0, 3, 1000),
      ]);
      let caught: unknown;
      try {
        await f.enqueue(overflowing);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(OverloadedError);
      const error = caught as OverloadedError;
      expect(error.reason).toBe('queue_full');
      expect(error.httpStatus).toBe(503);
      // Nothing has drained yet: the longest wait.
      expect(error.retryAfterMs).toBe(30_000);
      expect(f.stats()).toEqual(before);

      await f.enqueue(buildBatch(onShard(1, 10)));
      expect(f.stats().shards.map(s => s.queuedPoints)).toEqual([8, 10]);
    });

    it('derives Retry-After from the recent drain rate', async () => {
      let nowMs = 0;
      let release: (() => void) | undefined;
      let isBlocked = false;
      const fetchFn = async (): Promise<Response> => {
        if (isBlocked) await new Promise<void>(resolve => (release = resolve));
        return new Response(null, { status: 204 });
      };
      const f = forwarder(
        {
          shards: 1,
          capacity: 100,
          max_samples_per_send: 10,
          batch_send_deadline: 0,
        },
        { now: () => nowMs, fetch: fetchFn }
      );
      f.start();
      nowMs = 5000;
      for (let round = 0; round < 10; round++) {
        await f.enqueue(buildRound(round, 10));
        await vi.waitFor(() => expect(f.stats().queuedPoints).toBe(0), {
          interval: 2,
        });
      }
      // 100 points drained over 5 s plus one 10 s window: 1/150 points per ms.
      isBlocked = true;
      for (let round = 10; round < 20; round++)
        await f.enqueue(buildRound(round, 10));
      expect(f.stats().queuedPoints).toBe(100);
      let caught: unknown;
      try {
        await f.enqueue(buildRound(20, 10));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(OverloadedError);
      // 10 points over capacity at 1/150 points per ms.
      expect((caught as OverloadedError).retryAfterMs).toBe(1500);
      isBlocked = false;
      release?.();
    });

    it('refuses with UnavailableError once stopping', async () => {
      const f = forwarder();
      await f.stop(100);
      expect(() => f.enqueue(buildRound(0, 1))).toThrow(UnavailableError);
    });
  });

  describe('enqueue() after an extreme batch', () => {
    it('encodes the batches after one that outgrew the shard writers (replaced, not kept) intact', async () => {
      // 20,000 series on one shard: its writer grows past the 1 MiB it may keep.
      const f = forwarder({ shards: 1, max_samples_per_send: 100_000 });
      f.start();
      await f.enqueue(buildRound(0, 20_000));
      await f.enqueue(buildRound(1, 10));
      await sink.waitFor(() => sink.acceptedSampleCount() === 20_010);
      const bySeries = sink.acceptedSamples();
      expect(bySeries.size).toBe(20_000);
      let twice = 0;
      for (const samples of bySeries.values())
        if (samples.length === 2) twice++;
      expect(twice).toBe(10);
    });
  });

  describe('sender loop', () => {
    it('retries a 503 and delivers the batch once', async () => {
      sink.reply({ status: 503, body: 'ingester unavailable' });
      const f = forwarder({ shards: 1 });
      f.start();
      await f.enqueue(buildRound(0, 5));
      await sink.waitFor(() => sink.acceptedSampleCount() === 5);
      await vi.waitFor(() => expect(f.stats().queuedPoints).toBe(0));
      expect(sink.requests.map(r => r.status)).toEqual([503, 204]);
      const downstream = f.name;
      expect(
        await metricValue(metrics, 'forwardRetries', {
          downstream,
          reason: '5xx',
        })
      ).toBe(1);
      expect(
        await metricValue(metrics, 'forwardRequests', {
          downstream,
          status_code: '503',
        })
      ).toBe(1);
      expect(
        await metricValue(metrics, 'forwardRequests', {
          downstream,
          status_code: '204',
        })
      ).toBe(1);
      expect(
        await metricValue(metrics, 'forwardedSamples', { downstream })
      ).toBe(5);
    });

    it('drops a batch refused with 400, counts and logs it, and goes on', async () => {
      sink.reply({ status: 400, body: 'out of order sample' });
      const { logger, lines } = captureLogger();
      const f = forwarder({ shards: 1 }, { logger });
      f.start();
      await f.enqueue(buildRound(0, 3));
      await sink.waitFor(() => sink.requests.length === 1);
      await f.enqueue(buildRound(1, 4));
      await sink.waitFor(() => sink.acceptedSampleCount() === 4);

      expect(sink.requests.map(r => r.status)).toEqual([400, 204]);
      expect(
        await metricValue(metrics, 'forwardFailedSamples', {
          downstream: f.name,
          reason: 'http_400',
        })
      ).toBe(3);
      expect(
        await metricValue(metrics, 'forwardRetries', {
          downstream: f.name,
          reason: '5xx',
        })
      ).toBe(0);
      const warning = lines.find(
        l =>
          l.msg ===
          'queued data set aside (dropped) so the records behind it go on'
      );
      expect(warning).toMatchObject({
        level: 'warn',
        status: 400,
        body: 'out of order sample',
        reason: 'http_400',
        points: 3,
        downstream: f.name,
      });
      expect(warning?.['bytes']).toBeGreaterThan(0);
      await vi.waitFor(() => expect(f.stats().queuedPoints).toBe(0));
    });

    it('sends a refused batch again one fragment at a time and sets aside only the poison one', async () => {
      // Batch of three fragments refused; then fragment by fragment: ok, refused, ok.
      sink.reply(
        { status: 400, body: 'bad sample in request' },
        { status: 204 },
        { status: 400, body: 'label value too long' },
        { status: 204 }
      );
      const { logger, lines } = captureLogger();
      const f = forwarder(
        { shards: 1, max_samples_per_send: 9, batch_send_deadline: 60_000 },
        { logger }
      );
      f.start();
      for (let round = 0; round < 3; round++)
        await f.enqueue(buildRound(round, 3));
      await sink.waitFor(() => sink.requests.length === 4);
      expect(sink.requests.map(r => r.status)).toEqual([400, 204, 400, 204]);
      expect(sink.requests.map(r => r.series.length)).toEqual([9, 3, 3, 3]);
      const delivered = sink
        .accepted()
        .flatMap(r => r.series.flatMap(s => s.samples.map(x => x.value)));
      expect(delivered).toEqual([0, 0, 0, 2, 2, 2]);
      expect(
        await metricValue(metrics, 'forwardFailedSamples', {
          downstream: f.name,
          reason: 'http_400',
        })
      ).toBe(3);
      const setAside = lines.filter(
        l =>
          l.msg ===
          'queued data set aside (dropped) so the records behind it go on'
      );
      expect(setAside).toHaveLength(1);
      expect(setAside[0]).toMatchObject({
        status: 400,
        points: 3,
        body: 'label value too long',
      });
      await vi.waitFor(() => expect(f.stats().queuedPoints).toBe(0));
    });

    it('retries after a cut connection', async () => {
      sink.reply('destroy');
      const f = forwarder({ shards: 1 });
      f.start();
      await f.enqueue(buildRound(0, 2));
      await sink.waitFor(() => sink.acceptedSampleCount() === 2);
      expect(
        await metricValue(metrics, 'forwardRetries', {
          downstream: f.name,
          reason: 'network',
        })
      ).toBe(1);
      expect(
        await metricValue(metrics, 'forwardRequests', {
          downstream: f.name,
          status_code: 'error',
        })
      ).toBe(1);
    });

    it('retries while the downstream is down and delivers once it is back', async () => {
      const port = sink.port;
      await sink.close();
      const f = forwarder({ shards: 2 });
      f.start();
      await f.enqueue(buildRound(0, 10));
      await vi.waitFor(async () => {
        expect(
          await metricValue(metrics, 'forwardRetries', {
            downstream: f.name,
            reason: 'network',
          })
        ).toBeGreaterThanOrEqual(2);
      });
      sink = await RemoteWriteSink.start(port);
      await sink.waitFor(() => sink.acceptedSampleCount() === 10);
      await vi.waitFor(() => expect(f.stats().queuedPoints).toBe(0));
    });

    it('retries a request that timed out', async () => {
      sink.reply('hang');
      const f = forwarder({ shards: 1, timeout: 100 });
      f.start();
      await f.enqueue(buildRound(0, 2));
      await sink.waitFor(() => sink.acceptedSampleCount() === 2);
      expect(sink.requests).toHaveLength(2);
    });

    it('waits for Retry-After on a 429 (real server)', async () => {
      sink.reply({ status: 429, headers: { 'Retry-After': '1' } });
      const f = forwarder({ shards: 1 });
      f.start();
      await f.enqueue(buildRound(0, 1));
      await sink.waitFor(() => sink.requests.length === 1);
      const refusedAt = Date.now();
      await sink.waitFor(() => sink.acceptedSampleCount() === 1);
      expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(950);
      expect(
        await metricValue(metrics, 'forwardRetries', {
          downstream: f.name,
          reason: '429',
        })
      ).toBe(1);
    });
  });

  describe('sender loop (fake timers)', () => {
    function fakeFetch(
      statuses: (number | [number, Record<string, string>])[]
    ): {
      fetch: typeof fetch;
      calls: number[];
    } {
      const calls: number[] = [];
      const fetchFn = (): Promise<Response> => {
        calls.push(Date.now());
        const next = statuses.shift() ?? 204;
        const [status, headers] = typeof next === 'number' ? [next, {}] : next;
        return Promise.resolve(
          new Response(status === 204 ? null : 'x', { status, headers })
        );
      };
      return { fetch: fetchFn, calls };
    }

    it('waits exactly as long as Retry-After asks', async () => {
      vi.useFakeTimers();
      const { fetch, calls } = fakeFetch([[429, { 'Retry-After': '1' }]]);
      const f = forwarder({ shards: 1, batch_send_deadline: 0 }, { fetch });
      f.start();
      await f.enqueue(buildRound(0, 1));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      expect(calls[1]! - calls[0]!).toBe(1000);
    });

    it('backs off exponentially between retries, within min and max', async () => {
      vi.useFakeTimers();
      const { fetch, calls } = fakeFetch([503, 503, 503, 503, 503]);
      const f = forwarder(
        {
          shards: 1,
          batch_send_deadline: 0,
          min_backoff: 100,
          max_backoff: 400,
        },
        { fetch, random: () => 0.999_999 }
      );
      f.start();
      await f.enqueue(buildRound(0, 1));
      await vi.advanceTimersByTimeAsync(2000);
      const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
      expect(gaps).toEqual([100, 199, 399, 399, 399]);
    });

    it('holds a small batch until batch_send_deadline, a full one not at all', async () => {
      vi.useFakeTimers();
      const { fetch, calls } = fakeFetch([]);
      const f = forwarder(
        { shards: 1, batch_send_deadline: 1000, max_samples_per_send: 10 },
        { fetch }
      );
      f.start();
      await f.enqueue(buildRound(0, 4));
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(1);

      await f.enqueue(buildRound(1, 4));
      await vi.advanceTimersByTimeAsync(10);
      expect(calls).toHaveLength(1);
      await f.enqueue(buildRound(2, 6));
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toHaveLength(2);
    });
  });

  describe('stop()', () => {
    it('flushes what is queued without waiting for the deadline', async () => {
      const f = forwarder({ shards: 4, batch_send_deadline: 60_000 });
      f.start();
      for (let round = 0; round < 3; round++)
        await f.enqueue(buildRound(round, 50));
      const startedAt = Date.now();
      const report = await f.stop(5000);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect(report).toEqual({
        downstream: f.name,
        leftPoints: 0,
        isDrained: true,
      });
      expect(sink.acceptedSampleCount()).toBe(150);
    });

    it('gives up after the drain timeout and reports what is left', async () => {
      for (let i = 0; i < 100; i++) sink.reply({ status: 503 });
      const { logger, lines } = captureLogger();
      const f = forwarder({ shards: 2 }, { logger });
      f.start();
      await f.enqueue(buildRound(0, 30));
      const report = await f.stop(150);
      expect(report).toEqual({
        downstream: f.name,
        leftPoints: 30,
        isDrained: false,
      });
      expect(
        lines.find(l => l.msg.startsWith('forward queue not drained'))
      ).toMatchObject({ leftPoints: 30 });
      // The stopped forwarder no longer holds them.
      expect(
        await metricValue(metrics, 'forwardQueueSamples', {
          downstream: f.name,
        })
      ).toBe(0);
    });

    it('aborts a request in flight once the drain timeout passes', async () => {
      sink.reply('hang');
      const f = forwarder({ shards: 1, timeout: 30_000 });
      f.start();
      await f.enqueue(buildRound(0, 3));
      await sink.waitFor(() => sink.requests.length === 1);
      const startedAt = Date.now();
      expect(await f.stop(100)).toMatchObject({
        leftPoints: 3,
        isDrained: false,
      });
      expect(Date.now() - startedAt).toBeLessThan(1000);
    });

    it('reports queued points when never started', async () => {
      const f = forwarder();
      await f.enqueue(buildRound(0, 7));
      expect(await f.stop(100)).toMatchObject({
        leftPoints: 7,
        isDrained: false,
      });
    });
  });

  describe('auth', () => {
    it.each([
      [{ bearer_token: 'tok-123' }, 'Bearer tok-123'],
      [
        { basic_auth: { username: 'u', password: 'p' } },
        `Basic ${Buffer.from('u:p').toString('base64')}`,
      ],
    ] as const)('sends %j as %s', async (auth, want) => {
      const f = forwarder({ shards: 1, ...auth });
      f.start();
      await f.enqueue(buildRound(0, 1));
      await sink.waitFor(() => sink.accepted().length === 1);
      expect(sink.requests[0]?.headers.authorization).toBe(want);
    });
  });
});
