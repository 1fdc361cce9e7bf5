import { describe, expect, it } from 'vitest';
import {
  judgeFlatness,
  judgeSoak,
  planSoak,
  renderSoakVerdict,
  type SoakInterval,
} from '../../../bench/soak-report.js';

function interval(
  index: number,
  rssMiB: number,
  p99Ms: number,
  refused = 0
): SoakInterval {
  return {
    index,
    endS: (index + 1) * 60,
    requests: 100,
    okRequests: 100 - refused,
    acceptedSamples: 200_000,
    latencyMsP50: p99Ms / 4,
    latencyMsP99: p99Ms,
    rssMeanBytes: rssMiB * 2 ** 20,
    rssMaxBytes: rssMiB * 2 ** 20,
    behindMs: 0,
    cpuS: 30,
    loadAverage: 2,
  };
}

describe('planSoak()', () => {
  it.each([
    [600, { intervalS: 60, intervals: 10, capacityS: 30 }],
    [60, { intervalS: 6, intervals: 10, capacityS: 10 }],
    [1800, { intervalS: 60, intervals: 30, capacityS: 30 }],
    [300, { intervalS: 30, intervals: 10, capacityS: 15 }],
  ])('cuts a %i s soak into its intervals', (durationS, want) => {
    expect(planSoak(durationS)).toMatchObject({ ...want, warmupIntervals: 2 });
  });

  it('refuses a soak too short to cut', () => {
    expect(() => planSoak(5)).toThrow(
      'cannot plan a soak of 5 s: want at least 10 s'
    );
  });
});

describe('judgeFlatness()', () => {
  it('is flat when every value is within ±10% of the median', () => {
    const f = judgeFlatness([100, 95, 108, 102]);
    expect(f.reference).toBe(101);
    expect(f.isFlat).toBe(true);
    expect(f.lowest).toBeCloseTo(95 / 101 - 1);
    expect(f.highest).toBeCloseTo(108 / 101 - 1);
  });

  it.each([
    ['one value 11% above', [100, 100, 111]],
    ['one value 11% below', [100, 100, 89]],
    ['a steady climb', [100, 106, 112, 118, 124]],
  ])('is not flat with %s', (_, values) => {
    expect(judgeFlatness(values).isFlat).toBe(false);
  });

  it('refuses an empty series', () => {
    expect(() => judgeFlatness([])).toThrow(
      'cannot judge flatness: no interval after warm-up'
    );
  });
});

describe('judgeSoak()', () => {
  it('ignores the warm-up intervals', () => {
    const intervals = [
      interval(0, 200, 900),
      interval(1, 400, 50),
      ...[2, 3, 4, 5].map(i => interval(i, 500, 40)),
    ];
    const verdict = judgeSoak(intervals, 2);
    expect(verdict.isPass).toBe(true);
    expect(renderSoakVerdict(verdict)).toContain('**soak PASS**');
  });

  it('fails on RSS growth, on a p99 outlier, and on refused requests', () => {
    const flat = [2, 3, 4, 5].map(i => interval(i, 500, 40));
    const growing = [2, 3, 4, 5].map(i => interval(i, 500 + 60 * i, 40));
    expect(judgeSoak(growing, 0).rss.isFlat).toBe(false);
    const spiky = [...flat, interval(6, 500, 80)];
    expect(judgeSoak(spiky, 0).p99.isFlat).toBe(false);
    const refused = [...flat, interval(6, 500, 40, 1)];
    const verdict = judgeSoak(refused, 0);
    expect(verdict.isAllAccepted).toBe(false);
    expect(verdict.isPass).toBe(false);
    expect(renderSoakVerdict(verdict)).toContain('**soak FAIL**');
  });
});
