import { describe, expect, it } from 'vitest';
import { SeriesBatch } from '../../model/index.js';
import { STALE_NAN, isStaleNaN } from './stale-nan.js';

function bitsOf(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0);
}

describe('STALE_NAN', () => {
  it('has the Prometheus stale marker bits 0x7ff0000000000002', () => {
    expect(bitsOf(STALE_NAN)).toBe(0x7ff0000000000002n);
  });

  it('keeps its bits through a SeriesBatch sample', () => {
    const batch = new SeriesBatch();
    batch.addSeries(['__name__', 'x']);
    batch.addSample(STALE_NAN, 1, 0);
    expect(bitsOf(batch.values[0]!)).toBe(0x7ff0000000000002n);
    expect(isStaleNaN(batch.values[0]!)).toBe(true);
  });
});

describe('isStaleNaN()', () => {
  it.each([
    ['the stale marker', STALE_NAN, true],
    ['an ordinary NaN', NaN, false],
    ['a number', 1, false],
  ])('is %s → %s', (_name, value, want) => {
    expect(isStaleNaN(value)).toBe(want);
  });
});
