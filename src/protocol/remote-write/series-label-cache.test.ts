import { describe, expect, it } from 'vitest';
import { SeriesBatch, labelsToRecord } from '../../model/index.js';
import { encodeV1Request } from '../../../test/helpers/remote-write-reference.js';
import { decodeWriteRequestV1 } from './decode-write-request-v1.js';
import { SeriesLabelCache } from './series-label-cache.js';

function body(pods: string[], value = 1): Uint8Array {
  return encodeV1Request({
    timeseries: pods.map(pod => ({
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'pod', value: pod },
      ],
      samples: [{ value, timestamp: 1000 }],
    })),
  });
}

describe('SeriesLabelCache with decodeWriteRequestV1', () => {
  it('hands out the same stable array for a series seen before', () => {
    const cache = new SeriesLabelCache();
    const first = new SeriesBatch();
    decodeWriteRequestV1(body(['a', 'b']), first, cache);
    const second = new SeriesBatch();
    decodeWriteRequestV1(body(['b', 'a'], 2), second, cache);
    expect(second.labels[0]).toBe(first.labels[1]);
    expect(second.labels[1]).toBe(first.labels[0]);
    expect([...second.stable.subarray(0, 2)]).toEqual([1, 1]);
    expect(second.values[0]).toBe(2);
    expect(cache.hits).toBe(2);
    expect(cache.misses).toBe(2);
  });

  it('never confuses series whose bytes hash alike: every byte is compared', () => {
    const cache = new SeriesLabelCache();
    const batch = new SeriesBatch();
    decodeWriteRequestV1(body(['pod-1']), batch, cache);
    // Poison the hash chain: the same hash for a different series must still miss.
    decodeWriteRequestV1(body(['pod-2']), batch, cache);
    expect(labelsToRecord(batch.labels[1]!)).toEqual({
      __name__: 'up',
      pod: 'pod-2',
    });
  });

  it('still refuses invalid labels, and caches nothing for them', () => {
    const cache = new SeriesLabelCache();
    const invalid = encodeV1Request({
      timeseries: [
        {
          labels: [{ name: 'job', value: 'x' }],
          samples: [{ value: 1, timestamp: 1 }],
        },
      ],
    });
    expect(() =>
      decodeWriteRequestV1(invalid, new SeriesBatch(), cache)
    ).toThrow(/metric name/);
    expect(() =>
      decodeWriteRequestV1(invalid, new SeriesBatch(), cache)
    ).toThrow(/metric name/);
    expect(cache.hits).toBe(0);
  });

  it('forgets series unseen for two generations', () => {
    let now = 0;
    const cache = new SeriesLabelCache({ generationMs: 1000, now: () => now });
    decodeWriteRequestV1(body(['old']), new SeriesBatch(), cache);
    now = 1000;
    decodeWriteRequestV1(body(['new']), new SeriesBatch(), cache); // rotates: 'old' is in the previous generation
    now = 2000;
    decodeWriteRequestV1(body(['new']), new SeriesBatch(), cache); // rotates again: 'old' is gone, 'new' carried over
    const misses = cache.misses;
    decodeWriteRequestV1(body(['old', 'new']), new SeriesBatch(), cache);
    expect(cache.misses - misses).toBe(1);
  });

  it('caches at most maxNewEntriesPerRequest new series per request, so one extreme request pins little', () => {
    const cache = new SeriesLabelCache({ maxNewEntriesPerRequest: 2 });
    const pods = ['a', 'b', 'c', 'd', 'e'];
    decodeWriteRequestV1(body(pods), new SeriesBatch(), cache);
    expect(cache.size).toBe(2);
    // The next request adds its own share: a large sender converges.
    decodeWriteRequestV1(body(pods), new SeriesBatch(), cache);
    expect(cache.size).toBe(4);
    expect(cache.hits).toBe(2);
  });

  it('takes the general path when labels and samples are interleaved', () => {
    const cache = new SeriesLabelCache();
    // Hand-built TimeSeries: label, sample, label (legal protobuf, unusual order).
    const label = (n: string, v: string): number[] => {
      const inner = [
        0x0a,
        n.length,
        ...Buffer.from(n),
        0x12,
        v.length,
        ...Buffer.from(v),
      ];
      return [0x0a, inner.length, ...inner];
    };
    const sample = [0x12, 9, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
    const series = [
      ...label('__name__', 'up'),
      ...sample,
      ...label('job', 'a'),
    ];
    const request = new Uint8Array([0x0a, series.length, ...series]);
    const batch = new SeriesBatch();
    decodeWriteRequestV1(request, batch, cache);
    expect(labelsToRecord(batch.labels[0]!)).toEqual({
      __name__: 'up',
      job: 'a',
    });
    expect(batch.stable[0]).toBe(0);
    expect(batch.values[0]).toBe(1);
  });
});

describe('SeriesLabelCache keyed by symbol ids (remote write 2.0)', () => {
  it('compares every id, so keys that share a hash never mix', () => {
    const cache = new SeriesLabelCache();
    const labels = ['__name__', 'up', 'pod', 'a'];
    cache.setByIds([1, 2, 3, 4], 4, 42, labels);
    expect(cache.getByIds([1, 2, 3, 4], 4, 42)).toBe(labels);
    expect(cache.getByIds([1, 2, 3, 5], 4, 42)).toBeUndefined();
    expect(cache.getByIds([9, 2, 3, 4], 4, 42)).toBeUndefined();
    expect(cache.getByIds([1, 2, 3, 4, 5, 6], 6, 42)).toBeUndefined();
    expect(cache.getByIds([1, 2], 2, 42)).toBeUndefined();
  });

  it('caches at most maxNewEntriesPerRequest new keys until the next request starts', () => {
    const cache = new SeriesLabelCache({ maxNewEntriesPerRequest: 1 });
    cache.maintain();
    cache.setByIds([1], 1, 1, ['__name__', 'a']);
    cache.setByIds([2], 1, 2, ['__name__', 'b']);
    expect(cache.getByIds([2], 1, 2)).toBeUndefined();
    cache.maintain();
    cache.setByIds([2], 1, 2, ['__name__', 'b']);
    expect(cache.getByIds([1], 1, 1)).toEqual(['__name__', 'a']);
    expect(cache.getByIds([2], 1, 2)).toEqual(['__name__', 'b']);
  });

  it('reads only the first `count` ids of a reused key, and copies the key it keeps', () => {
    const cache = new SeriesLabelCache();
    const labels = ['__name__', 'up'];
    const scratch = [7, 8, 99, 99];
    cache.setByIds(scratch, 2, 1, labels);
    scratch[0] = 0;
    expect(cache.getByIds([7, 8, 1, 1], 2, 1)).toBe(labels);
  });
});
