/**
 * The figures of an SLO as the API and /metrics show them (docs/architecture.md, "JSON
 * shapes"), computed from event sums per window:
 * - `error_ratio` = bad / total over the window (null without traffic);
 * - `burn_rate` = error_ratio / (1 − objective);
 * - `error_budget`: `total` is the budget as an error ratio (1 − objective,
 *   Sloth's `slo:error_budget:ratio`); `consumed` and `remaining` are shares
 *   of it over the SLO window (consumed = the window's burn rate; remaining =
 *   1 − consumed, negative once overspent, like Sloth's
 *   `slo:period_error_budget_remaining:ratio`);
 * - `sli` = 1 − error_ratio over the SLO window;
 * - `alerts`: severity → firing (alert-policy.ts).
 * Fleet-wide figures are computed from events summed over clusters, never
 * from an average of ratios (PROTOCOLS.md §4 item 17).
 */
import { formatDuration } from '../config/index.js';
import type { SloDefinition } from './slo-definition.js';

export interface SloWindowFigures {
  readonly error_ratio: number | null;
  readonly burn_rate: number | null;
}

export interface SloErrorBudget {
  readonly total: number;
  readonly consumed: number;
  readonly remaining: number;
}

/** The figures of one scope (the fleet or one cluster). */
export interface SloFigures {
  readonly sli: number | null;
  readonly error_budget: SloErrorBudget;
  readonly windows: Readonly<Record<string, SloWindowFigures>>;
  readonly alerts: Readonly<Record<string, boolean>>;
}

export interface SloClusterReport extends SloFigures {
  readonly cluster: string;
}

/** `data` of GET /api/v1/slos/{name}; GET /api/v1/slos lists these. */
export interface SloReport extends SloFigures {
  readonly name: string;
  readonly service: string;
  readonly description: string;
  readonly objective: number;
  /** The SLO window, e.g. "30d". */
  readonly window: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Set when the answer is narrowed to one cluster (top-level figures are then that cluster's). */
  readonly cluster?: string;
  /** Per cluster, the most budget consumed first. */
  readonly clusters: readonly SloClusterReport[];
  /** What may make the figures wrong (e.g. a latency threshold that is not an observed le bucket). */
  readonly warnings: readonly string[];
}

/** Event sums of one SLO: cluster → `[A0, T0, A1, T1, …]` in `def.windowsMs` order. */
export interface SloSums {
  readonly def: SloDefinition;
  readonly clusters: ReadonlyMap<string, Float64Array>;
  readonly warnings: readonly string[];
}

export interface SloReportQuery {
  /** Narrow to one cluster. */
  readonly cluster?: string | undefined;
  /** Show only this window (an index into `def.windowsMs`); −1: no window matches. */
  readonly windowIndex?: number | undefined;
}

/** Bad events and total events of window `j` of a sums array. */
export function badAndTotal(
  def: SloDefinition,
  sums: Float64Array,
  j: number
): [number, number] {
  const a = sums[2 * j]!;
  const total = sums[2 * j + 1]!;
  // Good and total series are scraped together, but a bucket can run ahead of _count by rounding: never below 0.
  const bad = def.isGoodChannel ? Math.max(0, total - a) : a;
  return [bad, total];
}

/** Error ratio of window `j` (null without traffic). */
export function errorRatioOf(
  def: SloDefinition,
  sums: Float64Array,
  j: number
): number | null {
  const [bad, total] = badAndTotal(def, sums, j);
  return total > 0 ? bad / total : null;
}

/** The figures of one scope. `windowIndex` narrows `windows` to one (−1: none). */
export function figuresOf(
  def: SloDefinition,
  sums: Float64Array,
  windowIndex?: number
): SloFigures {
  const budget = 1 - def.objective;
  const count = def.windowsMs.length;
  // Error ratios once per window (NaN without traffic); everything below reads them.
  const ratios = new Float64Array(count);
  for (let j = 0; j < count; j++)
    ratios[j] = errorRatioOf(def, sums, j) ?? Number.NaN;
  const windows: Record<string, SloWindowFigures> = {};
  for (let j = 0; j < count; j++) {
    if (windowIndex !== undefined && windowIndex !== j) continue;
    const ratio = ratios[j]!;
    windows[def.windowNames[j]!] = Number.isNaN(ratio)
      ? NO_TRAFFIC
      : { error_ratio: ratio, burn_rate: ratio / budget };
  }
  const ownRatio = ratios[def.ownWindowIndex]!;
  const consumed = Number.isNaN(ownRatio) ? 0 : ownRatio / budget;
  // Multi-window multi-burn-rate (alert-policy.ts): both windows of a pair above its factor; NaN never fires.
  const alerts: Record<string, boolean> = {};
  const pairs = def.alertPairs;
  const indices = def.alertWindowIndices;
  for (let p = 0; p < pairs.length; p++) {
    const pair = pairs[p]!;
    if (alerts[pair.severity] === true) continue;
    // Compared as burn rates (not ratio > factor × budget), so the answer agrees with the burn_rate it shows.
    alerts[pair.severity] =
      ratios[indices[2 * p]!]! / budget > pair.factor &&
      ratios[indices[2 * p + 1]!]! / budget > pair.factor;
  }
  return {
    sli: Number.isNaN(ownRatio) ? null : 1 - ownRatio,
    error_budget: { total: budget, consumed, remaining: 1 - consumed },
    windows,
    alerts,
  };
}

const NO_TRAFFIC: SloWindowFigures = Object.freeze({
  error_ratio: null,
  burn_rate: null,
});

/** Sums of every cluster added up, in cluster-name order (same order, same floats, on every replica). */
export function fleetSums(
  def: SloDefinition,
  clusters: ReadonlyMap<string, Float64Array>
): Float64Array {
  const out = new Float64Array(2 * def.windowsMs.length);
  for (const name of [...clusters.keys()].sort()) {
    const sums = clusters.get(name)!;
    for (let i = 0; i < out.length; i++) out[i]! += sums[i]!;
  }
  return out;
}

/** The report of one SLO. */
export function buildSloReport(
  sums: SloSums,
  query: SloReportQuery = {}
): SloReport {
  const def = sums.def;
  const spec = def.spec;
  const windowIndex = query.windowIndex;
  let clusters: SloClusterReport[] = [];
  for (const [cluster, values] of sums.clusters) {
    if (query.cluster !== undefined && cluster !== query.cluster) continue;
    clusters.push({ cluster, ...figuresOf(def, values, windowIndex) });
  }
  clusters = clusters.sort(
    (a, b) =>
      b.error_budget.consumed - a.error_budget.consumed ||
      (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0)
  );
  let top: SloFigures;
  if (query.cluster === undefined)
    top = figuresOf(def, fleetSums(def, sums.clusters), windowIndex);
  else {
    const values =
      sums.clusters.get(query.cluster) ??
      new Float64Array(2 * def.windowsMs.length);
    top = figuresOf(def, values, windowIndex);
  }
  return {
    name: def.name,
    service: spec.service,
    description: spec.description ?? '',
    objective: def.objective,
    window: formatDuration(def.windowMs),
    labels: spec.labels ?? {},
    ...(query.cluster === undefined ? {} : { cluster: query.cluster }),
    ...top,
    clusters,
    warnings: sums.warnings,
  };
}
