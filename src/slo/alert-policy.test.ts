import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALERT_WINDOWS,
  evaluateAlerts,
  resolveAlertPairs,
} from './alert-policy.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../test/helpers/slo-fixtures.js';

describe('resolveAlertPairs()', () => {
  it('gives the SRE workbook factors for a 30d SLO', () => {
    const factors = resolveAlertPairs(DEFAULT_ALERT_WINDOWS, 30 * DAY_MS).map(
      p => [p.severity, p.factor]
    );
    expect(factors).toEqual([
      ['page', 14.4],
      ['page', 6],
      ['ticket', 3],
      ['ticket', 1],
    ]);
  });

  it('scales factors with the SLO window as Sloth does (28d: 13.44, 5.6, 2.8, 0.933)', () => {
    const factors = resolveAlertPairs(DEFAULT_ALERT_WINDOWS, 28 * DAY_MS).map(
      p => p.factor
    );
    expect(factors[0]).toBeCloseTo(13.44, 10);
    expect(factors[1]).toBeCloseTo(5.6, 10);
    expect(factors[2]).toBeCloseTo(2.8, 10);
    expect(factors[3]).toBeCloseTo(0.9333, 4);
  });

  it('keeps a fixed factor as given', () => {
    const [pair] = resolveAlertPairs(
      [
        {
          severity: 'page',
          longMs: HOUR_MS,
          shortMs: 5 * MINUTE_MS,
          factor: 10,
        },
      ],
      7 * DAY_MS
    );
    expect(pair!.factor).toBe(10);
  });
});

describe('evaluateAlerts()', () => {
  const pairs = resolveAlertPairs(DEFAULT_ALERT_WINDOWS, 30 * DAY_MS);
  const burns = (table: Record<number, number | null>) => (w: number) =>
    table[w] ?? 0;

  it('fires a severity only when both windows of a pair are over its factor', () => {
    expect(
      evaluateAlerts(pairs, burns({ [HOUR_MS]: 15, [5 * MINUTE_MS]: 15 }))
    ).toEqual({ page: true, ticket: false });
    expect(
      evaluateAlerts(pairs, burns({ [HOUR_MS]: 15, [5 * MINUTE_MS]: 1 }))
    ).toEqual({ page: false, ticket: false });
    expect(
      evaluateAlerts(pairs, burns({ [HOUR_MS]: 1, [5 * MINUTE_MS]: 15 }))
    ).toEqual({ page: false, ticket: false });
  });

  it('ORs the pairs of a severity', () => {
    const slow = burns({ [6 * HOUR_MS]: 7, [30 * MINUTE_MS]: 7 });
    expect(evaluateAlerts(pairs, slow).page).toBe(true);
    const ticket = burns({ [3 * DAY_MS]: 1.5, [6 * HOUR_MS]: 1.5 });
    expect(evaluateAlerts(pairs, ticket)).toEqual({
      page: false,
      ticket: true,
    });
  });

  it('does not fire at exactly the factor, nor without traffic', () => {
    expect(
      evaluateAlerts(pairs, burns({ [HOUR_MS]: 14.4, [5 * MINUTE_MS]: 14.4 }))
        .page
    ).toBe(false);
    expect(evaluateAlerts(pairs, () => null)).toEqual({
      page: false,
      ticket: false,
    });
  });
});
