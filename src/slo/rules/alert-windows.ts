/**
 * The multi-window, multi-burn-rate alert table (SRE workbook, "Alerting on
 * SLOs"; PROTOCOLS.md §3): an alert of a severity fires when, for any of its
 * pairs, the burn rate over both the long and the short window exceeds the
 * pair's factor. The short window makes the alert resolve soon after the
 * burning stops; the long one keeps a short spike from paging.
 *
 * Same semantics as the SLO engine (src/slo/alert-policy.ts), so the rules
 * and fleetgate's own alert state agree: a pair gives either a fixed
 * `factor` or the `budgetConsumed` share it guards, and then
 * `factor = budgetConsumed × SLO window ÷ long window` (14.4 for 2% in 1h of
 * a 30d SLO, 13.44 for a 28d one).
 */
import { formatDuration, parseDuration } from '../../config/index.js';
import { ConfigError } from '../../errors.js';

/** One row of the table: both windows must burn faster than the factor. */
export interface BurnRateWindowPair {
  /** The `severity` label, e.g. `page` or `ticket`. */
  readonly severity: string;
  /** Prometheus duration, e.g. `1h`. */
  readonly long: string;
  /** Prometheus duration shorter than `long`, e.g. `5m` (about long ÷ 12). */
  readonly short: string;
  /** Share of the SLO window's budget the pair guards (0.02 = 2%); exclusive with `factor`. */
  readonly budgetConsumed?: number | undefined;
  /** Fixed burn-rate threshold (error ratio ÷ error budget); exclusive with `budgetConsumed`. */
  readonly factor?: number | undefined;
}

/**
 * The workbook's parameters as Sloth's `google-30d.yaml` encodes them (and
 * the engine's DEFAULT_ALERT_WINDOWS): for a 30d SLO, page at 14.4× over 1h
 * and 5m or 6× over 6h and 30m; ticket at 3× over 1d and 2h or 1× over 3d
 * and 6h.
 */
export const DEFAULT_SLO_ALERT_WINDOWS: readonly BurnRateWindowPair[] =
  Object.freeze([
    { severity: 'page', long: '1h', short: '5m', budgetConsumed: 0.02 },
    { severity: 'page', long: '6h', short: '30m', budgetConsumed: 0.05 },
    { severity: 'ticket', long: '1d', short: '2h', budgetConsumed: 0.1 },
    { severity: 'ticket', long: '3d', short: '6h', budgetConsumed: 0.1 },
  ]);

/** A validated pair for one SLO: windows in ms and canonical text (`1h`, not `60m`), factor resolved. */
export interface ResolvedWindowPair {
  readonly severity: string;
  readonly longMs: number;
  readonly shortMs: number;
  readonly long: string;
  readonly short: string;
  readonly factor: number;
}

const SEVERITY_RE = /^[a-zA-Z0-9_.-]+$/;

/**
 * Validates `pairs` and resolves their factors for an SLO window of
 * `sloWindowMs`. Factors are rounded to 12 significant digits, so
 * 0.02 × 30d ÷ 1h reads 14.4 rather than 14.400000000000002. Throws
 * ConfigError listing every problem; `path` prefixes their key paths.
 */
export function resolveAlertWindows(
  pairs: readonly BurnRateWindowPair[],
  sloWindowMs: number,
  path = 'alertWindows'
): ResolvedWindowPair[] {
  const problems: string[] = [];
  const out: ResolvedWindowPair[] = [];
  if (pairs.length === 0) problems.push(`${path}: give at least one pair`);
  pairs.forEach((pair, i) => {
    const at = `${path}[${i}]`;
    const longMs = parseDuration(pair.long);
    const shortMs = parseDuration(pair.short);
    const before = problems.length;
    if (!SEVERITY_RE.test(pair.severity))
      problems.push(
        `${at}.severity: want letters, digits, ".", "_" or "-", got ${JSON.stringify(pair.severity)}`
      );
    if (longMs === undefined || longMs === 0)
      problems.push(
        `${at}.long: invalid duration ${JSON.stringify(pair.long)} (want e.g. 1h)`
      );
    if (shortMs === undefined || shortMs === 0)
      problems.push(
        `${at}.short: invalid duration ${JSON.stringify(pair.short)} (want e.g. 5m)`
      );
    if ((pair.factor === undefined) === (pair.budgetConsumed === undefined)) {
      problems.push(
        `${at}: set exactly one of budgetConsumed (scaled with the SLO window) or factor (fixed)`
      );
    }
    if (
      pair.factor !== undefined &&
      !(Number.isFinite(pair.factor) && pair.factor > 0)
    ) {
      problems.push(`${at}.factor: must be > 0, got ${pair.factor}`);
    }
    if (
      pair.budgetConsumed !== undefined &&
      !(pair.budgetConsumed > 0 && pair.budgetConsumed <= 1)
    ) {
      problems.push(
        `${at}.budgetConsumed: must be in (0, 1] (0.02 = 2% of the budget), got ${pair.budgetConsumed}`
      );
    }
    if (
      longMs !== undefined &&
      shortMs !== undefined &&
      shortMs >= longMs &&
      shortMs > 0
    ) {
      problems.push(
        `${at}.short: the short window ${pair.short} must be shorter than the long window ${pair.long}`
      );
    }
    if (problems.length > before) return;
    const factor =
      pair.factor ?? (pair.budgetConsumed! * sloWindowMs) / longMs!;
    out.push({
      severity: pair.severity,
      longMs: longMs!,
      shortMs: shortMs!,
      long: formatDuration(longMs!),
      short: formatDuration(shortMs!),
      factor: Number(factor.toPrecision(12)),
    });
  });
  if (problems.length > 0) {
    throw new ConfigError(
      `cannot use the alert windows:\n  ${problems.join('\n  ')}`,
      problems
    );
  }
  return out;
}

/** The severities of `pairs`, in first-appearance order. */
export function severitiesOf(pairs: readonly ResolvedWindowPair[]): string[] {
  const out: string[] = [];
  for (const pair of pairs)
    if (!out.includes(pair.severity)) out.push(pair.severity);
  return out;
}
