/**
 * Multi-window, multi-burn-rate alerting (SRE workbook, "Alerting on SLOs";
 * PROTOCOLS.md §3). A pair fires when the burn rate over *both* its long and
 * its short window is above its factor; pairs are OR-ed within a severity.
 *
 * The default table is Sloth's `google-30d.yaml` (four pairs), written as
 * the share of the error budget each pair guards:
 *
 * | severity | long | short | budget consumed | factor at 30d | at 28d |
 * |----------|------|-------|-----------------|---------------|--------|
 * | page     | 1h   | 5m    | 2%              | 14.4          | 13.44  |
 * | page     | 6h   | 30m   | 5%              | 6             | 5.6    |
 * | ticket   | 1d   | 2h    | 10%             | 3             | 2.8    |
 * | ticket   | 3d   | 6h    | 10%             | 1             | 0.933  |
 *
 * Factor scaling (decision): a pair given as `budget_consumed` gets
 * `factor = budget_consumed × SLO window / long window`, the workbook's
 * formula, which is what Sloth does for windows other than 30d: "page when
 * 2% of the budget went in an hour" keeps its meaning for a 28d or 7d SLO.
 * The windows themselves are not scaled (Pyrra scales them; Sloth does not).
 * A pair given as a fixed `factor` is used as is.
 */

export const DEFAULT_SEVERITIES = ['page', 'ticket'] as const;

/** One pair as configured; exactly one of `budgetConsumed` and `factor`. */
export interface AlertWindowSpec {
  readonly severity: string;
  readonly longMs: number;
  readonly shortMs: number;
  /** Share of the SLO window's budget the pair guards (0.02 = 2%); the factor scales with the window. */
  readonly budgetConsumed?: number | undefined;
  /** A fixed burn-rate factor (not scaled). */
  readonly factor?: number | undefined;
}

/** A pair with its resolved factor. */
export interface AlertPair {
  readonly severity: string;
  readonly longMs: number;
  readonly shortMs: number;
  readonly factor: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * HOUR_MS;

/** The workbook's (and Sloth's) four pairs. */
export const DEFAULT_ALERT_WINDOWS: readonly AlertWindowSpec[] = Object.freeze([
  {
    severity: 'page',
    longMs: HOUR_MS,
    shortMs: 5 * MINUTE_MS,
    budgetConsumed: 0.02,
  },
  {
    severity: 'page',
    longMs: 6 * HOUR_MS,
    shortMs: 30 * MINUTE_MS,
    budgetConsumed: 0.05,
  },
  {
    severity: 'ticket',
    longMs: DAY_MS,
    shortMs: 2 * HOUR_MS,
    budgetConsumed: 0.1,
  },
  {
    severity: 'ticket',
    longMs: 3 * DAY_MS,
    shortMs: 6 * HOUR_MS,
    budgetConsumed: 0.1,
  },
]);

/** Resolves the factor of every pair for an SLO window (see the header on scaling). */
export function resolveAlertPairs(
  windows: readonly AlertWindowSpec[],
  sloWindowMs: number
): AlertPair[] {
  return windows.map(w => ({
    severity: w.severity,
    longMs: w.longMs,
    shortMs: w.shortMs,
    factor: w.factor ?? ((w.budgetConsumed ?? 0) * sloWindowMs) / w.longMs,
  }));
}

/** The severities of a table, in first-appearance order. */
export function severitiesOf(pairs: readonly AlertPair[]): string[] {
  const out: string[] = [];
  for (const p of pairs) if (!out.includes(p.severity)) out.push(p.severity);
  return out;
}

/**
 * Alert state per severity. `burnRateOf(windowMs)` is the burn rate over a
 * window, or null without traffic (no traffic never fires).
 */
export function evaluateAlerts(
  pairs: readonly AlertPair[],
  burnRateOf: (windowMs: number) => number | null
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const pair of pairs) {
    if (out[pair.severity] === true) continue;
    const long = burnRateOf(pair.longMs);
    const short = burnRateOf(pair.shortMs);
    out[pair.severity] =
      long !== null &&
      short !== null &&
      long > pair.factor &&
      short > pair.factor;
  }
  return out;
}
