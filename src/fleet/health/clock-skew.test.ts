import { describe, expect, it } from 'vitest';
import {
  SEND_DELAY_ALLOWANCE_MS,
  SKEW_MAX_OBSERVATIONS,
  SKEW_REPLAY_GRACE_MS,
  addSkewObservation,
  estimateClockSkew,
  mergeSkewObservations,
  type SkewObservation,
} from './clock-skew.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const S = 1000;
const M = 60 * S;

/** Deterministic delays in [0, maxMs) (a small LCG: same numbers every run). */
function delays(maxMs: number, seed = 7): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state / 2 ** 31) * maxMs;
  };
}

/**
 * Sends one request every `everyMs` in [fromMs, toMs); the newest sample of
 * the request at receive time t is t + offsetAt(t). Calls `check` after each.
 */
function send(
  list: SkewObservation[],
  fromMs: number,
  toMs: number,
  everyMs: number,
  offsetAt: (t: number, i: number) => number,
  check?: (t: number) => void
): void {
  for (let t = fromMs, i = 0; t < toMs; t += everyMs, i++) {
    addSkewObservation(list, t, t + offsetAt(t, i));
    check?.(t);
  }
}

describe('estimateClockSkew()', () => {
  it('reads scrape and send delays of up to a minute as no skew', () => {
    const list: SkewObservation[] = [];
    const delay = delays(SEND_DELAY_ALLOWANCE_MS);
    send(list, T0, T0 + 6 * M, 5 * S, () => -delay());
    const estimate = estimateClockSkew(list, T0 + 6 * M);
    expect(estimate.verdict).toBe('in_sync');
    expect(estimate.skewMs).toBe(0);
    expect(estimate.observations).toBeGreaterThanOrEqual(30);
  });

  it('measures a clock 8 minutes ahead within a minute, delays notwithstanding', () => {
    const list: SkewObservation[] = [];
    const delay = delays(30 * S);
    send(list, T0, T0 + 70 * S, 5 * S, () => 8 * M - delay());
    const estimate = estimateClockSkew(list, T0 + 70 * S);
    expect(estimate.verdict).toBe('ahead');
    expect(estimate.skewMs!).toBeGreaterThan(8 * M - 30 * S);
    expect(estimate.skewMs!).toBeLessThanOrEqual(8 * M);
  });

  it('holds a clock behind as catching up for the replay grace, then measures it once steady', () => {
    const list: SkewObservation[] = [];
    const delay = delays(30 * S);
    const behind = (): number => -8 * M - delay();
    send(list, T0, T0 + 2 * M, 5 * S, behind);
    // The first data ever is old: it could be a backlog replay after our restart.
    expect(estimateClockSkew(list, T0 + 2 * M).verdict).toBe('catching_up');
    send(list, T0 + 2 * M, T0 + 7 * M, 5 * S, behind);
    expect(SKEW_REPLAY_GRACE_MS).toBeLessThan(7 * M);
    const estimate = estimateClockSkew(list, T0 + 7 * M);
    expect(estimate.verdict).toBe('behind');
    expect(estimate.skewMs!).toBeLessThan(-8 * M);
    expect(estimate.skewMs!).toBeGreaterThan(-8 * M - 30 * S);
  });

  it('is not moved by a minority of outlier requests (wrongly stamped series, stuck requests)', () => {
    const list: SkewObservation[] = [];
    const delay = delays(20 * S);
    send(list, T0, T0 + 8 * M, 10 * S, (_t, i) =>
      i % 5 === 0 ? 60 * M : i % 7 === 0 ? -30 * M : -delay()
    );
    const estimate = estimateClockSkew(list, T0 + 8 * M);
    expect(estimate.verdict).toBe('in_sync');
    expect(estimate.skewMs).toBe(0);
  });

  it('does not read a remote-write backlog replay after an outage as skew', () => {
    const list: SkewObservation[] = [];
    const delay = delays(15 * S);
    send(list, T0, T0 + 3 * M, 5 * S, () => -delay());
    expect(estimateClockSkew(list, T0 + 3 * M).verdict).toBe('in_sync');
    // 20 minutes without contact, then the sender replays its WAL at 15x real time.
    const outageStart = T0 + 3 * M;
    const resumedAt = outageStart + 20 * M;
    const verdicts = new Set<string>();
    send(
      list,
      resumedAt,
      resumedAt + 3 * M,
      1 * S,
      t => {
        const dataTime = outageStart + (t - resumedAt) * 15;
        return Math.min(dataTime, t - delay()) - t;
      },
      t => verdicts.add(estimateClockSkew(list, t).verdict)
    );
    expect(verdicts.has('behind')).toBe(false);
    expect(verdicts.has('catching_up')).toBe(true);
    const after = estimateClockSkew(list, resumedAt + 3 * M);
    expect(after.verdict).toBe('in_sync');
    expect(after.skewMs).toBe(0);
  });

  it('holds a slow replay (1.2x real time) as catching up, then calls it unsteady, never behind', () => {
    const list: SkewObservation[] = [];
    const outageStart = T0;
    const resumedAt = T0 + 20 * M;
    addSkewObservation(list, outageStart - 5 * S, outageStart - 5 * S);
    const verdicts: string[] = [];
    send(
      list,
      resumedAt,
      resumedAt + 12 * M,
      5 * S,
      t => outageStart + (t - resumedAt) * 1.2 - t,
      t => verdicts.push(estimateClockSkew(list, t).verdict)
    );
    expect(verdicts).not.toContain('behind');
    expect(verdicts).toContain('catching_up');
    expect(verdicts[verdicts.length - 1]).toBe('unsteady');
  });

  it('reads a sender falling further behind as unsteady, not as skew', () => {
    const list: SkewObservation[] = [];
    // Its queue grows by 5s every 10s: data arrives ever older.
    send(list, T0, T0 + 8 * M, 10 * S, t => -((t - T0) / 2));
    const estimate = estimateClockSkew(list, T0 + 8 * M);
    expect(estimate.verdict).toBe('unsteady');
    expect(estimate.skewMs).toBeUndefined();
  });

  it('starts over after a gap: an old clock offset does not outlive the outage', () => {
    const list: SkewObservation[] = [];
    send(list, T0, T0 + 3 * M, 5 * S, () => 8 * M);
    expect(estimateClockSkew(list, T0 + 3 * M).verdict).toBe('ahead');
    // The clock was fixed during a 3 minute outage.
    send(list, T0 + 6 * M, T0 + 7 * M + 30 * S, 5 * S, () => -2 * S);
    const estimate = estimateClockSkew(list, T0 + 7 * M + 30 * S);
    expect(estimate.verdict).toBe('in_sync');
  });

  it.each([
    [0, 'insufficient'],
    [3, 'insufficient'],
    [6, 'ahead'],
  ])('with %i requests says %s', (requests, verdict) => {
    const list: SkewObservation[] = [];
    send(list, T0, T0 + requests * 10 * S, 10 * S, () => 6 * M);
    expect(estimateClockSkew(list, T0 + requests * 10 * S).verdict).toBe(
      verdict
    );
  });

  it('forgets observations older than the window', () => {
    const list: SkewObservation[] = [];
    send(list, T0, T0 + 2 * M, 5 * S, () => 8 * M);
    expect(estimateClockSkew(list, T0 + 13 * M).verdict).toBe('insufficient');
  });
});

describe('addSkewObservation()', () => {
  it('keeps one observation per 10s slot, the first, and at most the cap', () => {
    const list: SkewObservation[] = [];
    send(list, T0, T0 + 10 * S, 100, () => -1 * S);
    expect(list).toHaveLength(1);
    expect(list[0]!.receivedAtMs).toBe(T0);
    send(list, T0 + 10 * S, T0 + 30 * M, 10 * S, () => -1 * S);
    expect(list.length).toBeLessThanOrEqual(SKEW_MAX_OBSERVATIONS);
  });

  it('marks the first observation ever and those after a gap', () => {
    const list: SkewObservation[] = [];
    addSkewObservation(list, T0, T0);
    addSkewObservation(list, T0 + 10 * S, T0 + 10 * S);
    addSkewObservation(list, T0 + 5 * M, T0 + 5 * M);
    expect(list.map(o => o.gapBeforeMs)).toEqual([-1, 0, 5 * M - 10 * S]);
  });

  it('ignores requests without a usable timestamp and those older than the last one', () => {
    const list: SkewObservation[] = [];
    addSkewObservation(list, T0 + 20 * S, T0);
    addSkewObservation(list, T0, T0);
    addSkewObservation(list, T0 + 40 * S, 0);
    addSkewObservation(list, T0 + 50 * S, Number.NaN);
    expect(list).toHaveLength(1);
  });
});

describe('mergeSkewObservations()', () => {
  it('gives two replicas that each saw part of the requests the estimate of one that saw them all', () => {
    const whole: SkewObservation[] = [];
    const a: SkewObservation[] = [];
    const b: SkewObservation[] = [];
    const delay = delays(20 * S);
    for (let t = T0, i = 0; t < T0 + 4 * M; t += 10 * S, i++) {
      const newest = t + 7 * M - delay();
      addSkewObservation(whole, t, newest);
      addSkewObservation(i % 2 === 0 ? a : b, t, newest);
    }
    const merged = mergeSkewObservations([a, b]);
    expect(mergeSkewObservations([b, a])).toEqual(merged);
    expect(estimateClockSkew(merged, T0 + 4 * M)).toEqual(
      estimateClockSkew(whole, T0 + 4 * M)
    );
  });
});
