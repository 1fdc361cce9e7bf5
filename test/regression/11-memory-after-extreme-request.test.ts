/**
 * Issue #11, finding 5: after two 100,000-series requests the gateway's RSS
 * went from 234 MB to 546 MB and stayed there. The series label cache kept
 * every series of both requests for two 10-minute generations (and through
 * its stable arrays, every stage's memo of them), and the batch pool kept
 * the grown batch. This replays the remote write route's decode path: one
 * extreme request may now add only a bounded share of the cache, and the
 * pooled capacity is back to the normal request's within 45 s.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { snappyUncompress, snappyCompress } from '../../src/protocol/index.js';
import {
  DEFAULT_REQUEST_LIMITS,
  SeriesLabelCache,
  decodeWriteRequestV1,
  encodeWriteRequestV1,
} from '../../src/protocol/index.js';
import { BatchPool, SeriesBatch } from '../../src/model/index.js';

const EXTREME_SERIES = 100_000;
const NORMAL_SERIES = 2_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A config that lets the extreme request through the decode-time caps (the defaults refuse it with 413). */
const EXTREME_LIMITS = {
  ...DEFAULT_REQUEST_LIMITS,
  maxSeriesPerRequest: EXTREME_SERIES,
  maxPointsPerRequest: EXTREME_SERIES,
  maxLabelsPerRequest: EXTREME_SERIES * 8,
};

/** A snappy remote write 1.0 body of `count` pod series, starting at `first`. */
function requestBody(first: number, count: number): Uint8Array {
  const batch = new SeriesBatch();
  for (let i = first; i < first + count; i++) {
    batch.addSeries([
      '__name__',
      'kube_pod_status_phase',
      'namespace',
      `ns-${i % 40}`,
      'phase',
      'Running',
      'pod',
      `api-${i.toString(36)}`,
    ]);
    batch.addSample(1, 1_700_000_000_000);
  }
  return snappyCompress(encodeWriteRequestV1(batch));
}

describe('finding 5: memory after extreme requests', () => {
  let pool: BatchPool;
  beforeEach(() => {
    vi.useFakeTimers();
    pool = new BatchPool();
  });
  afterEach(() => {
    pool.close();
    vi.useRealTimers();
  });

  /** What the remote write route does with one request's body. */
  function serve(body: Uint8Array, cache: SeriesLabelCache): void {
    const batch = pool.acquire();
    try {
      decodeWriteRequestV1(
        snappyUncompress(body, MAX_BODY_BYTES),
        batch,
        cache,
        EXTREME_LIMITS
      );
    } finally {
      pool.release(batch);
    }
  }

  it('keeps neither the series nor the batch capacity of two 100,000-series requests', () => {
    const cache = new SeriesLabelCache();
    const normal = requestBody(10_000_000, NORMAL_SERIES);
    serve(normal, cache);
    const normalBytes = pool.retainedBytes;

    serve(requestBody(0, EXTREME_SERIES), cache);
    serve(requestBody(EXTREME_SERIES, EXTREME_SERIES), cache);
    // Each request cached at most its share; the rest was decoded uncached.
    expect(cache.size).toBeLessThanOrEqual(NORMAL_SERIES + 2 * 10_000);
    expect(pool.retainedBytes).toBeGreaterThan(20 * normalBytes);

    // Normal traffic goes on, once every 5 s, for 45 s.
    for (let t = 0; t < 9; t++) {
      vi.advanceTimersByTime(5_000);
      serve(normal, cache);
    }
    expect(pool.retainedBytes).toBe(normalBytes);
    // The normal series are all still cached: the normal path lost nothing.
    const hits = cache.hits;
    serve(normal, cache);
    expect(cache.hits - hits).toBe(NORMAL_SERIES);
  });
});
