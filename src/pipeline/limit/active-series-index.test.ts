import { describe, expect, it } from 'vitest';
import { ActiveSeriesIndex, OVERFLOW_CLUSTER } from './active-series-index.js';

const T0 = 1_700_000_000_000;

describe('ActiveSeriesIndex', () => {
  it('counts seconds from an epoch at construction, never below 1', () => {
    const index = new ActiveSeriesIndex({
      nowMs: T0,
      windowMsOf: () => 60_000,
    });
    expect(index.secondsOf(T0)).toBe(1);
    expect(index.secondsOf(T0 + 10_000)).toBe(11);
    expect(index.secondsOf(T0 - 50_000)).toBe(1);
  });

  it('shares one table among clusters past the cap', () => {
    const index = new ActiveSeriesIndex({
      nowMs: T0,
      windowMsOf: () => 60_000,
      maxClusters: 2,
    });
    const a = index.tableFor('a');
    index.tableFor('b');
    expect(index.tableFor('a')).toBe(a);
    expect(index.tableFor('c')).toBe(index.tableFor('d'));
    expect([...index.clusters()]).toEqual(['a', 'b', OVERFLOW_CLUSTER]);
  });

  it('sweeps in proportion to elapsed time, a full pass per window or minute', () => {
    const index = new ActiveSeriesIndex({
      nowMs: T0,
      windowMsOf: () => 10_000,
    });
    const table = index.tableFor('prod');
    for (let i = 0; i < 500; i++)
      table.insert(
        i,
        Math.imul(i + 1, 2654435761) >>> 0,
        index.secondsOf(T0),
        'up',
        []
      );
    // 10 s window, so a pass takes 10 s: this one scans everything and finds nothing idle yet.
    expect(index.sweep(T0 + 10_500)).toBe(0);
    // 2.5 s later a quarter of the slots is scanned: only part of the now idle series goes.
    const partly = index.sweep(T0 + 13_000);
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(500);
    index.sweep(T0 + 40_000);
    expect(table.size).toBe(0);
    expect(index.fleetMetricCount('up')).toBe(0);
  });

  it('applies new windows to existing tables', () => {
    let windowMs = 60_000;
    const index = new ActiveSeriesIndex({
      nowMs: T0,
      windowMsOf: () => windowMs,
    });
    const table = index.tableFor('prod');
    windowMs = 5_000;
    index.setWindows(() => windowMs);
    expect(table.windowSec).toBe(5);
  });

  it('drops tables left without series', () => {
    const index = new ActiveSeriesIndex({
      nowMs: T0,
      windowMsOf: () => 60_000,
    });
    index.tableFor('gone');
    index.tableFor('kept').insert(1, 1, 1, 'up', []);
    index.dropEmptyTables();
    expect([...index.clusters()]).toEqual(['kept']);
  });
});
