import { describe, expect, it } from 'vitest';
import { SeriesTable } from './series-table.js';

function newTable(trackLabels = true): {
  table: SeriesTable;
  fleet: Map<string, number>;
} {
  const fleet = new Map<string, number>();
  return {
    table: new SeriesTable(60, {
      maxMetrics: 100,
      fleetMetricCounts: fleet,
      trackLabels,
    }),
    fleet,
  };
}

/** mulberry32: deterministic random numbers for the property test. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SeriesTable', () => {
  it('finds what it inserted and forgets what it removed', () => {
    const { table } = newTable();
    const slot = table.insert(1, 2, 5, 'up', ['__name__', 'up', 'job', 'a']);
    expect(table.find(1, 2)).toBe(slot);
    expect(table.find(2, 2)).toBe(-1);
    expect(table.seenAt(slot)).toBe(5);
    expect(table.size).toBe(1);
    table.removeAt(slot);
    expect(table.find(1, 2)).toBe(-1);
    expect(table.size).toBe(0);
  });

  it('agrees with a Map under random inserts, removals and growth (backward-shift deletion)', () => {
    const { table } = newTable(false);
    const next = random(7);
    const reference = new Map<string, [number, number]>();
    const keys: [number, number][] = [];
    for (let step = 0; step < 30_000; step++) {
      // Low words from a small range make long probe chains that wrap around the table end.
      const lo = Math.floor(next() * 8192) >>> 0;
      const hi = Math.floor(next() * 0xffffffff) >>> 0;
      const key = `${hi}:${lo}`;
      if (next() < 0.55 || keys.length === 0) {
        if (reference.has(key) || table.find(hi, lo) >= 0) continue;
        table.insert(hi, lo, 1, 'm', []);
        reference.set(key, [hi, lo]);
        keys.push([hi, lo]);
      } else {
        const at = Math.floor(next() * keys.length);
        const [h, l] = keys[at]!;
        keys[at] = keys[keys.length - 1]!;
        keys.pop();
        const slot = table.find(h, l);
        expect(slot).toBeGreaterThanOrEqual(0);
        table.removeAt(slot);
        reference.delete(`${h}:${l}`);
      }
    }
    expect(table.size).toBe(reference.size);
    for (const [hi, lo] of reference.values())
      expect(table.find(hi, lo)).toBeGreaterThanOrEqual(0);
  });

  it('sweeps out series last seen before the cutoff, and keeps the rest findable', () => {
    const { table } = newTable();
    for (let i = 0; i < 5000; i++)
      table.insert(
        i,
        Math.imul(i, 2654435761) >>> 0,
        i % 2 === 0 ? 10 : 100,
        'm',
        ['__name__', 'm', 'i', String(i)]
      );
    const removed = table.sweep(50, table.capacity);
    expect(removed).toBe(2500);
    expect(table.size).toBe(2500);
    for (let i = 0; i < 5000; i++) {
      expect(table.find(i, Math.imul(i, 2654435761) >>> 0) >= 0).toBe(
        i % 2 === 1
      );
    }
    expect(table.labels!.pairIdOf('i', '0')).toBe(-1);
    expect(table.labels!.refsOf(table.labels!.pairIdOf('__name__', 'm'))).toBe(
      2500
    );
  });

  it('shrinks after a full pass leaves it mostly empty, and stays correct', () => {
    const { table } = newTable();
    for (let i = 0; i < 20_000; i++)
      table.insert(i, i * 7919, i < 19_900 ? 1 : 100, 'm', [
        '__name__',
        'm',
        'i',
        String(i),
      ]);
    const big = table.capacity;
    table.sweep(50, big);
    table.sweep(50, big);
    expect(table.size).toBe(100);
    expect(table.capacity).toBeLessThan(big);
    for (let i = 19_900; i < 20_000; i++)
      expect(table.find(i, i * 7919)).toBeGreaterThanOrEqual(0);
  });

  it('keeps per-metric, fleet and label-pair counts through insert and removal', () => {
    const { table, fleet } = newTable();
    const a = table.insert(1, 1, 1, 'up', ['__name__', 'up', 'job', 'a']);
    table.insert(2, 2, 1, 'up', ['__name__', 'up', 'job', 'b']);
    table.insert(3, 3, 1, 'down', ['__name__', 'down', 'job', 'a']);
    expect(table.metrics.countOf(table.metrics.lookup('up'))).toBe(2);
    expect(fleet.get('up')).toBe(2);
    const labels = table.labels!;
    expect(labels.refsOf(labels.pairIdOf('job', 'a'))).toBe(2);
    table.removeAt(a);
    expect(table.metrics.countOf(table.metrics.lookup('up'))).toBe(1);
    expect(fleet.get('up')).toBe(1);
    expect(labels.refsOf(labels.pairIdOf('job', 'a'))).toBe(1);
    expect(labels.pairIdOf('__name__', 'up')).toBeGreaterThanOrEqual(0);
  });

  it('folds metric names past the cap into the overflow bucket', () => {
    const fleet = new Map<string, number>();
    const table = new SeriesTable(60, {
      maxMetrics: 2,
      fleetMetricCounts: fleet,
      trackLabels: false,
    });
    table.insert(1, 1, 1, 'a', []);
    table.insert(2, 2, 1, 'b', []);
    table.insert(3, 3, 1, 'c', []);
    table.insert(4, 4, 1, 'd', []);
    expect(table.metrics.size).toBe(2);
    expect(table.metrics.lookup('c')).toBe(0);
    expect(table.metrics.countOf(0)).toBe(2);
    expect(fleet.get('__overflow__')).toBe(2);
  });
});
