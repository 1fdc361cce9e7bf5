/**
 * Names of the series and alerts that `fleetgate slo rules` generates. These
 * are a contract: dashboards, alert routing and the docs use them, so change
 * them only with a migration note.
 *
 * Naming follows Prometheus' `level:metric:operations` convention and Sloth's
 * names where they exist, with one difference that is the point of the
 * generator: every per-cluster series carries `cluster` (sloth#339), and the
 * fleet-wide figures are separate series (`slo_fleet:` level) computed from
 * events summed over clusters, never an average of per-cluster ratios.
 *
 * Labels:
 * - `slo:*`       → `slo` and SLO_CLUSTER_LABELS: `cluster`, `region`, `env`
 *                   (whatever the SLI's series carry; absent there means
 *                   absent here).
 * - `slo_fleet:*` → `slo`.
 * - alerts        → `alertname`, `severity` (`page` | `ticket`), `scope`
 *                   (`cluster` | `fleet`), `slo`, `service`, `cluster`,
 *                   `region` and `env` (cluster scope only), and the SLO's own
 *                   `labels` (e.g. `team`) except those names.
 *
 * `{window}` is a Prometheus duration as `formatDuration` renders it: `5m`,
 * `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, the SLO window (e.g. `30d`), and any
 * extra alert window configured.
 */

/**
 * The labels a per-cluster series keeps from the SLI's series: what every
 * aggregation groups by and every join matches on. fleetgate normalizes each
 * series to exactly one `cluster`, `region`, `env` and `team`, with region
 * and env taken from the cluster's registry entry, so region and env are
 * functions of cluster: keeping them adds no series, and lets routing and
 * silences use them (a dev cluster's page goes to `nonprod`, never to a
 * pager; a region's incident can be silenced by `region`). Unregistered
 * anonymous data keeps the region and env it sent; should one cluster send
 * several, its series split by them, and every join still matches. `team` is
 * left out: on SLO alerts `team` is the SLO's owner (its `labels.team`), not
 * the cluster's.
 */
export const SLO_CLUSTER_LABELS = ['cluster', 'region', 'env'] as const;

/** Recording rule names; `{window}` is replaced by a duration such as `5m`. */
export const SLO_RECORD_NAMES = {
  /** Bad events per second over the window, per cluster. */
  badRate: 'slo:sli_bad:rate{window}',
  /** All events per second over the window, per cluster. */
  totalRate: 'slo:sli_total:rate{window}',
  /**
   * Bad events over the SLO window, per cluster: the 5m rates summed over the
   * window × the evaluation interval (traffic-weighted, sloth#332).
   */
  badIncrease: 'slo:sli_bad:increase{window}',
  /** All events over the SLO window, per cluster (as `badIncrease`). */
  totalIncrease: 'slo:sli_total:increase{window}',
  /** Bad ÷ total events over the window, per cluster. */
  errorRatio: 'slo:sli_error:ratio_rate{window}',
  /** Error ratio ÷ error budget over the window, per cluster (1 = on budget). */
  burnRate: 'slo:burn_rate:ratio_rate{window}',
  /** The objective (e.g. 0.999), one series per cluster with data in the SLO window. */
  objective: 'slo:objective:ratio',
  /** 1 − objective, one series per cluster with data in the SLO window. */
  errorBudget: 'slo:error_budget:ratio',
  /** The SLO window in days, one series per cluster with data in it. */
  timePeriodDays: 'slo:time_period:days',
  /** Burn rate over the whole SLO window, per cluster (> 1: budget overspent). */
  periodBurnRate: 'slo:period_burn_rate:ratio',
  /** 1 − period burn rate: share of the window's budget left, per cluster (< 0: overspent). */
  periodBudgetRemaining: 'slo:period_error_budget_remaining:ratio',
  /** Fleet-wide error ratio: Σ bad ÷ Σ total over all clusters. */
  fleetErrorRatio: 'slo_fleet:sli_error:ratio_rate{window}',
  /** Fleet-wide burn rate. */
  fleetBurnRate: 'slo_fleet:burn_rate:ratio_rate{window}',
  /** The objective, for the fleet scope. */
  fleetObjective: 'slo_fleet:objective:ratio',
  /** 1 − objective, for the fleet scope. */
  fleetErrorBudget: 'slo_fleet:error_budget:ratio',
  /** Fleet-wide burn rate over the whole SLO window. */
  fleetPeriodBurnRate: 'slo_fleet:period_burn_rate:ratio',
  /** Fleet-wide share of the window's budget left. */
  fleetPeriodBudgetRemaining: 'slo_fleet:period_error_budget_remaining:ratio',
} as const;

/** One of the recording rule kinds in SLO_RECORD_NAMES. */
export type SloRecordKind = keyof typeof SLO_RECORD_NAMES;

/** Alert names, one per scope; `severity` tells page from ticket. */
export const SLO_ALERT_NAMES = {
  /** Multi-window multi-burn-rate alert on one cluster's traffic. */
  cluster: 'SLOErrorBudgetBurn',
  /** The same on the whole fleet's traffic. */
  fleet: 'SLOFleetErrorBudgetBurn',
} as const;

/** The scope an alert or series covers. */
export type SloScope = keyof typeof SLO_ALERT_NAMES;

/**
 * The series name for `kind`, with `{window}` replaced by `window`
 * (`sloRecordName('errorRatio', '5m')` → `slo:sli_error:ratio_rate5m`).
 * Throws when a windowed kind gets no window.
 */
export function sloRecordName(kind: SloRecordKind, window?: string): string {
  const template: string = SLO_RECORD_NAMES[kind];
  if (!template.includes('{window}')) return template;
  if (window === undefined || window === '') {
    throw new TypeError(`cannot name ${kind}: it needs a window such as "5m"`);
  }
  return template.replace('{window}', window);
}
