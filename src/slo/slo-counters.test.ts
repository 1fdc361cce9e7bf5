import { describe, expect, it } from 'vitest';
import {
  MAX_COUNTERS_BYTES,
  SloCounters,
  sloTierResolutionMs,
} from './slo-counters.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  T0,
} from '../../test/helpers/slo-fixtures.js';

/** [A, T] of one window. */
function window(
  counters: SloCounters,
  windowMs: number,
  nowMs: number
): [number, number] {
  const out = new Float64Array(2);
  counters.addWindowTo(windowMs, nowMs, out, 0);
  return [out[0]!, out[1]!];
}

describe('SloCounters', () => {
  describe('addWindowTo()', () => {
    it('counts events in (now − window, now], like a PromQL range', () => {
      const c = new SloCounters(30 * DAY_MS);
      const now = T0 + HOUR_MS;
      c.add(now - 5 * MINUTE_MS, 1, 1); // on the left edge: excluded
      c.add(now - 5 * MINUTE_MS + 1, 1, 10); // just inside
      c.add(now, 1, 100); // the right edge: included
      c.add(now, 0, 7);
      expect(window(c, 5 * MINUTE_MS, now)).toEqual([7, 110]);
    });

    it('prorates the bucket that straddles the window start', () => {
      const c = new SloCounters(30 * DAY_MS);
      // One bucket of 15s, (T0, T0+15s], holding 10 events.
      c.add(T0 + 10 * SECOND_MS, 1, 10);
      // The 5m window starting 7.5s into that bucket keeps half of it.
      const now = T0 + 7.5 * SECOND_MS + 5 * MINUTE_MS;
      expect(window(c, 5 * MINUTE_MS, now)[1]).toBeCloseTo(5, 9);
    });

    it.each([
      ['5m', 5 * MINUTE_MS, 15 * SECOND_MS],
      ['1h', HOUR_MS, 15 * SECOND_MS],
      ['2h', 2 * HOUR_MS, 2 * MINUTE_MS],
      ['6h', 6 * HOUR_MS, 2 * MINUTE_MS],
      ['1d', DAY_MS, 15 * MINUTE_MS],
      ['3d', 3 * DAY_MS, 15 * MINUTE_MS],
      ['30d', 30 * DAY_MS, 2 * HOUR_MS],
    ])(
      'reads the %s window exactly from its tier',
      (_name, windowMs, stepMs) => {
        const c = new SloCounters(30 * DAY_MS);
        // One event per step for twice the window: the window holds windowMs / stepMs of them.
        const now = T0 + 60 * DAY_MS;
        for (let t = now - 2 * windowMs + stepMs; t <= now; t += stepMs)
          c.add(t, 1, 1);
        expect(window(c, windowMs, now)[1]).toBeCloseTo(windowMs / stepMs, 6);
      }
    );

    it('keeps each tier to its span: events older than the SLO window are gone', () => {
      const c = new SloCounters(30 * DAY_MS);
      c.add(T0, 1, 5);
      expect(window(c, 30 * DAY_MS, T0 + 29 * DAY_MS)[1]).toBe(5);
      c.add(T0 + 31 * DAY_MS, 1, 1);
      expect(window(c, 30 * DAY_MS, T0 + 31 * DAY_MS)[1]).toBe(1);
    });

    it('keeps late events in the tiers that still hold their bucket', () => {
      const c = new SloCounters(30 * DAY_MS);
      const now = T0 + 10 * HOUR_MS;
      c.add(now, 1, 1);
      c.add(now - 3 * HOUR_MS, 1, 10); // older than tier 0 (1h), inside tiers 1–3
      expect(window(c, HOUR_MS, now)[1]).toBe(1);
      expect(window(c, 6 * HOUR_MS, now)[1]).toBe(11);
      expect(window(c, 30 * DAY_MS, now)[1]).toBe(11);
    });

    it('forgets skipped buckets when time jumps past a whole ring', () => {
      const c = new SloCounters(30 * DAY_MS);
      c.add(T0, 1, 3);
      c.add(T0 + 2 * HOUR_MS, 1, 1);
      expect(window(c, HOUR_MS, T0 + 2 * HOUR_MS)[1]).toBe(1);
      expect(window(c, 6 * HOUR_MS, T0 + 2 * HOUR_MS)[1]).toBe(4);
    });
  });

  describe('stateBytes', () => {
    it.each([
      ['1h', HOUR_MS],
      ['7d', 7 * DAY_MS],
      ['28d', 28 * DAY_MS],
      ['30d', 30 * DAY_MS],
      ['90d', 90 * DAY_MS],
      ['365d', 365 * DAY_MS],
      ['1000d', 1000 * DAY_MS],
    ])(
      'stays within 64 KiB per (SLO, cluster) for a %s SLO',
      (_name, windowMs) => {
        const c = new SloCounters(windowMs);
        const before = c.stateBytes;
        expect(before).toBeLessThanOrEqual(17_152);
        expect(before).toBeLessThanOrEqual(MAX_COUNTERS_BYTES);
        // Traffic does not grow it.
        for (let t = T0; t < T0 + 40 * DAY_MS; t += 37 * SECOND_MS)
          c.add(t, 1, 1);
        expect(c.stateBytes).toBe(before);
      }
    );
  });

  it('uses W/360 buckets for the SLO window (2h for 30d and 28d)', () => {
    expect(sloTierResolutionMs(30 * DAY_MS)).toBe(2 * HOUR_MS);
    expect(sloTierResolutionMs(28 * DAY_MS)).toBe(2 * HOUR_MS);
    expect(sloTierResolutionMs(7 * DAY_MS)).toBe(28 * MINUTE_MS);
    expect(sloTierResolutionMs(HOUR_MS)).toBe(MINUTE_MS);
  });

  describe('mergeTiers()', () => {
    it('adds another instance bucket by bucket', () => {
      const a = new SloCounters(30 * DAY_MS);
      const b = new SloCounters(30 * DAY_MS);
      a.add(T0 + MINUTE_MS, 1, 2);
      b.add(T0 + MINUTE_MS, 1, 3);
      b.add(T0 + 2 * HOUR_MS, 0, 1);
      b.add(T0 + 2 * HOUR_MS, 1, 1);
      a.mergeTiers(b.exportTiers());
      const now = T0 + 2 * HOUR_MS;
      expect(window(a, 6 * HOUR_MS, now)).toEqual([1, 6]);
      expect(window(a, HOUR_MS, now)).toEqual([1, 1]);
    });

    it('refuses rings of another shape, changing nothing', () => {
      const a = new SloCounters(30 * DAY_MS);
      a.add(T0, 1, 1);
      const other = new SloCounters(7 * DAY_MS);
      other.add(T0, 1, 1);
      expect(() => a.mergeTiers(other.exportTiers())).toThrow(RangeError);
      expect(window(a, HOUR_MS, T0)[1]).toBe(1);
    });
  });
});

/** A plain reading of the rings: the finest tier keeping the window, bucket by bucket, the straddling one prorated. */
function naiveWindow(
  c: SloCounters,
  windowMs: number,
  nowMs: number
): [number, number] {
  const tiers = c.exportTiers();
  const spanOf = (k: number): number =>
    tiers[k]!.resMs * (tiers[k]!.data.length / 2 - 1);
  let k = 0;
  while (k < tiers.length - 1 && spanOf(k) < windowMs) k++;
  const { resMs, head, data } = tiers[k]!;
  const slots = data.length / 2;
  let a = 0;
  let t = 0;
  for (let b = head - slots + 1; b <= head; b++) {
    const lo = b * resMs;
    const hi = (b + 1) * resMs;
    if (hi <= nowMs - windowMs || lo >= nowMs) continue;
    const share = lo < nowMs - windowMs ? (hi - (nowMs - windowMs)) / resMs : 1;
    a += data[2 * (b % slots)]! * share;
    t += data[2 * (b % slots) + 1]! * share;
  }
  return [a, t];
}

describe('SloCounters.addWindowsTo()', () => {
  it('reads several windows in one pass exactly as one at a time', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const c = new SloCounters(7 * DAY_MS);
    const now = T0 + 9 * DAY_MS + 7_321;
    for (let t = T0; t <= now; t += Math.floor(random() * 90 * SECOND_MS) + 1)
      c.add(t, random() < 0.1 ? 0 : 1, Math.floor(random() * 100));
    // Uneven windows, two of them closer than a bucket, some not on a bucket boundary.
    const windows = [
      MINUTE_MS,
      5 * MINUTE_MS,
      5 * MINUTE_MS + 5 * SECOND_MS,
      59 * MINUTE_MS,
      2 * HOUR_MS,
      6 * HOUR_MS,
      25 * HOUR_MS,
      3 * DAY_MS,
      7 * DAY_MS,
    ];
    const together = new Float64Array(2 * windows.length);
    c.addWindowsTo(windows, now, together, 0);
    windows.forEach((w, j) => {
      const [a, t] = naiveWindow(c, w, now);
      expect(together[2 * j]).toBeCloseTo(a, 6);
      expect(together[2 * j + 1]).toBeCloseTo(t, 6);
    });
  });
});
