import { describe, expect, it } from 'vitest';
import {
  OTHER_WARNING_REASON,
  WARNING_BUCKET_MS,
  WarningReasonWindow,
} from './warning-reason-window.js';

const T0 = Date.UTC(2030, 0, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('WarningReasonWindow', () => {
  describe('recent()', () => {
    it('counts by reason, most frequent first, ties by name', () => {
      const w = new WarningReasonWindow();
      for (const reason of [
        'BackOff',
        'BackOff',
        'Unhealthy',
        'FailedMount',
        'BackOff',
      ])
        w.record('prod', reason, T0, T0);
      expect(w.recent('prod', T0 - HOUR)).toEqual({
        total: 5,
        reasons: [
          { reason: 'BackOff', count: 3 },
          { reason: 'FailedMount', count: 1 },
          { reason: 'Unhealthy', count: 1 },
        ],
        other: 0,
      });
    });

    it('keeps clusters apart', () => {
      const w = new WarningReasonWindow();
      w.record('prod', 'BackOff', T0, T0);
      expect(w.recent('dev', T0 - HOUR).total).toBe(0);
    });

    it('counts only buckets that end after sinceMs', () => {
      const w = new WarningReasonWindow();
      w.record('prod', 'Old', T0, T0 + 30 * MIN);
      w.record('prod', 'New', T0 + 20 * MIN, T0 + 30 * MIN);
      expect(w.recent('prod', T0 + 10 * MIN).reasons).toEqual([
        { reason: 'New', count: 1 },
      ]);
      // A since inside a bucket counts the whole bucket.
      expect(w.recent('prod', T0 + WARNING_BUCKET_MS - 1).total).toBe(2);
      expect(w.recent('prod', T0 + WARNING_BUCKET_MS).total).toBe(1);
    });

    it('lists the top reasons and sums the rest in other', () => {
      const w = new WarningReasonWindow({ topReasons: 2 });
      const counts: [string, number][] = [
        ['A', 5],
        ['B', 4],
        ['C', 3],
        ['D', 1],
      ];
      for (const [reason, n] of counts)
        for (let i = 0; i < n; i++) w.record('prod', reason, T0, T0);
      expect(w.recent('prod', T0 - HOUR)).toEqual({
        total: 13,
        reasons: [
          { reason: 'A', count: 5 },
          { reason: 'B', count: 4 },
        ],
        other: 4,
      });
    });
  });

  describe('record()', () => {
    it('counts reasons past the distinct-reason bound under _other', () => {
      const w = new WarningReasonWindow({
        maxReasonsPerCluster: 2,
        topReasons: 5,
      });
      for (const reason of ['A', 'B', 'C', 'D', 'A'])
        w.record('prod', reason, T0, T0);
      expect(w.recent('prod', T0 - HOUR)).toEqual({
        total: 5,
        reasons: [
          { reason: 'A', count: 2 },
          { reason: 'B', count: 1 },
        ],
        other: 2,
      });
      expect(OTHER_WARNING_REASON).toBe('_other');
    });

    it('frees the bound once a reason has left the window', () => {
      const w = new WarningReasonWindow({
        maxReasonsPerCluster: 1,
        windowMs: HOUR,
      });
      w.record('prod', 'A', T0, T0);
      w.record('prod', 'B', T0 + 2 * HOUR, T0 + 2 * HOUR);
      expect(w.recent('prod', T0 + HOUR).reasons).toEqual([
        { reason: 'B', count: 1 },
      ]);
    });

    it('ignores warnings older than the window and clamps future ones to now', () => {
      const w = new WarningReasonWindow({ windowMs: HOUR });
      w.record('prod', 'Old', T0 - 2 * HOUR, T0);
      w.record('prod', 'Future', T0 + HOUR, T0);
      expect(w.recent('prod', T0 - HOUR)).toEqual({
        total: 1,
        reasons: [{ reason: 'Future', count: 1 }],
        other: 0,
      });
      // Clamped into now's bucket, so a since just after now misses it.
      expect(w.recent('prod', T0 + WARNING_BUCKET_MS).total).toBe(0);
    });
  });
});
