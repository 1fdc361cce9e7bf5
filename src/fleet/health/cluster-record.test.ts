import { describe, expect, it } from 'vitest';
import { addSkewObservation } from './clock-skew.js';
import {
  ClusterRecord,
  MAX_COLLECTORS_PER_CLUSTER,
  REQUESTS_KEY,
  pointsKey,
} from './cluster-record.js';
import { ratePerSecond, sumCounts } from './window-counts.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);

function sample(): ClusterRecord {
  const record = new ClusterRecord();
  for (let i = 0; i < 6; i++) {
    const t = T0 + i * 10_000;
    record.noteSeen('metrics', t);
    record.count(REQUESTS_KEY, t, 1);
    record.count(pointsKey('metrics'), t, 100);
    addSkewObservation(record.skew, t, t - 3000);
  }
  record.noteSeen('events', T0 + 1);
  record.noteCollector(
    { kind: 'prometheus', version: '2.42.0' },
    ['metrics'],
    T0 + 50_000
  );
  record.reasons.set('clock_skew', {
    sinceMs: T0,
    lastActiveMs: T0 + 50_000,
    message: 'clock 8m ahead',
  });
  return record;
}

describe('ClusterRecord', () => {
  it('round-trips through its snapshot form', () => {
    const record = sample();
    const now = T0 + 55_000;
    const decoded = ClusterRecord.decode(
      JSON.parse(JSON.stringify(record.encode(now, 42)))
    );
    expect(decoded.encode(now, 42)).toEqual(record.encode(now, 42));
    expect(decoded.activeSeries).toBe(42);
    expect(decoded.firstSeenMs).toBe(T0);
  });

  it('merges replicas: max of last-seen, sum of counts, union of the rest', () => {
    const a = sample();
    const b = new ClusterRecord();
    b.noteSeen('metrics', T0 + 70_000);
    b.count(pointsKey('metrics'), T0 + 50_000, 600);
    b.noteCollector({ kind: 'alloy', version: '1.5.0' }, ['logs'], T0 + 60_000);
    b.reasons.set('clock_skew', {
      sinceMs: T0 - 1000,
      lastActiveMs: T0 + 20_000,
      message: 'older',
    });
    const merged = ClusterRecord.merge([a, b]);
    const now = T0 + 70_000;
    expect(merged.lastSeenMs).toEqual({ metrics: T0 + 70_000, events: T0 + 1 });
    expect(sumCounts(merged.countsOf(pointsKey('metrics')), T0, now)).toBe(
      1200
    );
    expect(
      ratePerSecond(
        merged.countsOf(pointsKey('metrics')),
        now,
        merged.firstSeenMs
      )
    ).toBeCloseTo(1200 / 60, 5);
    expect(merged.collectorList().map(c => c.kind)).toEqual([
      'alloy',
      'prometheus',
    ]);
    expect(merged.reasons.get('clock_skew')).toEqual({
      sinceMs: T0 - 1000,
      lastActiveMs: T0 + 50_000,
      message: 'clock 8m ahead',
    });
    // Absorbing (idempotent parts only) twice changes nothing and never adds counts.
    const local = sample();
    local.absorb(b);
    local.absorb(b);
    expect(sumCounts(local.countsOf(pointsKey('metrics')), T0, now)).toBe(600);
    expect(local.lastSeenMs.metrics).toBe(T0 + 70_000);
  });

  it(`remembers at most ${MAX_COLLECTORS_PER_CLUSTER} collectors, dropping the least recently seen`, () => {
    const record = new ClusterRecord();
    for (let i = 0; i <= MAX_COLLECTORS_PER_CLUSTER; i++)
      record.noteCollector(
        { kind: 'prometheus', version: `2.${i}.0` },
        ['metrics'],
        T0 + i
      );
    const versions = record.collectorList().map(c => c.version);
    expect(versions).toHaveLength(MAX_COLLECTORS_PER_CLUSTER);
    expect(versions).not.toContain('2.0.0');
  });

  it.each([
    ['not an object', 7],
    [
      'bad last-seen',
      {
        firstSeenMs: 1,
        lastSeenMs: { metrics: 'x' },
        counts: {},
        skew: [],
        collectors: [],
        reasons: {},
      },
    ],
    [
      'bad counts',
      {
        firstSeenMs: 1,
        lastSeenMs: {},
        counts: { requests: [1] },
        skew: [],
        collectors: [],
        reasons: {},
      },
    ],
    [
      'bad skew',
      {
        firstSeenMs: 1,
        lastSeenMs: {},
        counts: {},
        skew: [[1, 2]],
        collectors: [],
        reasons: {},
      },
    ],
    [
      'bad reason',
      {
        firstSeenMs: 1,
        lastSeenMs: {},
        counts: {},
        skew: [],
        collectors: [],
        reasons: { clock_skew: [1, 2] },
      },
    ],
  ])('refuses a malformed record (%s)', (_what, raw) => {
    expect(() => ClusterRecord.decode(raw)).toThrow(TypeError);
  });
});
