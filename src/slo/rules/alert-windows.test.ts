import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors.js';
import { DEFAULT_ALERT_WINDOWS, resolveAlertPairs } from '../alert-policy.js';
import {
  DEFAULT_SLO_ALERT_WINDOWS,
  resolveAlertWindows,
  severitiesOf,
} from './alert-windows.js';

const DAY_MS = 86_400_000;

describe('resolveAlertWindows()', () => {
  it('resolves the workbook table to 14.4, 6, 3 and 1 for a 30d SLO', () => {
    expect(resolveAlertWindows(DEFAULT_SLO_ALERT_WINDOWS, 30 * DAY_MS)).toEqual(
      [
        {
          severity: 'page',
          longMs: 3_600_000,
          shortMs: 300_000,
          long: '1h',
          short: '5m',
          factor: 14.4,
        },
        {
          severity: 'page',
          longMs: 21_600_000,
          shortMs: 1_800_000,
          long: '6h',
          short: '30m',
          factor: 6,
        },
        {
          severity: 'ticket',
          longMs: DAY_MS,
          shortMs: 7_200_000,
          long: '1d',
          short: '2h',
          factor: 3,
        },
        {
          severity: 'ticket',
          longMs: 3 * DAY_MS,
          shortMs: 21_600_000,
          long: '3d',
          short: '6h',
          factor: 1,
        },
      ]
    );
  });

  it('agrees with the SLO engine on the default table, so rules and the API alert alike', () => {
    for (const windowMs of [7 * DAY_MS, 28 * DAY_MS, 30 * DAY_MS]) {
      const ours = resolveAlertWindows(DEFAULT_SLO_ALERT_WINDOWS, windowMs);
      const engine = resolveAlertPairs(DEFAULT_ALERT_WINDOWS, windowMs);
      expect(ours.map(p => [p.severity, p.longMs, p.shortMs])).toEqual(
        engine.map(p => [p.severity, p.longMs, p.shortMs])
      );
      ours.forEach((p, i) =>
        expect(p.factor).toBeCloseTo(engine[i]!.factor, 9)
      );
    }
  });

  it('canonicalises durations and keeps fixed factors as given', () => {
    expect(
      resolveAlertWindows(
        [{ severity: 'page', long: '60m', short: '300s', factor: 14.4 }],
        28 * DAY_MS
      )
    ).toEqual([
      {
        severity: 'page',
        longMs: 3_600_000,
        shortMs: 300_000,
        long: '1h',
        short: '5m',
        factor: 14.4,
      },
    ]);
  });

  it('reports every problem at once, with its path', () => {
    let thrown: unknown;
    try {
      resolveAlertWindows(
        [
          { severity: 'page page', long: '1x', short: '5m', factor: 1 },
          { severity: 'ticket', long: '1h', short: '2h', budgetConsumed: 2 },
          { severity: 'ticket', long: '1h', short: '5m' },
        ],
        30 * DAY_MS,
        'slos[x].alerting.windows'
      );
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues).toEqual([
      'slos[x].alerting.windows[0].severity: want letters, digits, ".", "_" or "-", got "page page"',
      'slos[x].alerting.windows[0].long: invalid duration "1x" (want e.g. 1h)',
      'slos[x].alerting.windows[1].budgetConsumed: must be in (0, 1] (0.02 = 2% of the budget), got 2',
      'slos[x].alerting.windows[1].short: the short window 2h must be shorter than the long window 1h',
      'slos[x].alerting.windows[2]: set exactly one of budgetConsumed (scaled with the SLO window) or factor (fixed)',
    ]);
  });

  it('refuses an empty table', () => {
    expect(() => resolveAlertWindows([], DAY_MS)).toThrow(
      'alertWindows: give at least one pair'
    );
  });
});

describe('severitiesOf()', () => {
  it('lists severities in first-appearance order', () => {
    expect(
      severitiesOf(resolveAlertWindows(DEFAULT_SLO_ALERT_WINDOWS, 30 * DAY_MS))
    ).toEqual(['page', 'ticket']);
  });
});
