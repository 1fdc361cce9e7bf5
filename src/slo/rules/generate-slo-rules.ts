/**
 * `fleetgate slo rules`: a Prometheus rule file that evaluates the config's
 * SLOs in a central store, per cluster and for the whole fleet, with the SRE
 * workbook's multi-window multi-burn-rate alerts.
 *
 * One rule group per SLO, in dependency order (Prometheus evaluates a group's
 * rules in order, and later rules see earlier rules' samples of the same
 * evaluation):
 *
 * 1. per window w (5m 30m 1h 2h 6h 1d 3d, plus extra alert windows):
 *    `slo:sli_total:rate<w>`, `slo:sli_bad:rate<w>` (events/s per cluster,
 *    from the raw selectors) and `slo:sli_error:ratio_rate<w>` = bad ÷ total;
 * 2. the SLO window W (e.g. 30d), traffic-weighted (sloth#332): the 5m rates
 *    summed over W (× the evaluation interval = events) for bad and total,
 *    then bad ÷ total. Not an average of 5m ratios, and it reads only the
 *    small recorded series, never W of raw series (pyrra#1440);
 * 3. burn rates (ratio ÷ budget) for every window;
 * 4. objective, error budget and window length per cluster: `group by
 *    (cluster, region, env)` of the recorded W totals, so they carry
 *    `cluster` wherever the SLI has data (sloth#339);
 * 5. the fleet scope: Σ bad ÷ Σ total over clusters for every window, never
 *    an average of per-cluster ratios; objective and budget;
 * 6. alerts: per severity, the OR of its pairs, each pair the AND of the long
 *    and the short window's burn rate over the pair's factor; once for the
 *    per-cluster series and once for the fleet series.
 *
 * Per cluster means keyed by SLO_CLUSTER_LABELS, `cluster`, `region` and
 * `env`: every `sum by`, `group by` and `on (…)` of a per-cluster series
 * names all three, so every join still matches, and the per-cluster alerts
 * keep `env` (a dev cluster's page must route to `nonprod`, never to a pager)
 * and `region`. Both are functions of `cluster` in normalized data, so this
 * adds no series. The fleet scope sums them all away and keeps `slo` only.
 *
 * Alert labels and annotations come from slo-alert-content.ts, which the
 * gateway's own SLO alerts use too: Alertmanager merges the two senders'
 * alerts into one, with one text.
 *
 * Names: SLO_RECORD_NAMES and SLO_ALERT_NAMES.
 */
import { Document } from 'yaml';
import {
  formatDuration,
  parseDuration,
  type SloConfig,
} from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import {
  DEFAULT_SLO_ALERT_WINDOWS,
  resolveAlertWindows,
  severitiesOf,
  type BurnRateWindowPair,
  type ResolvedWindowPair,
} from './alert-windows.js';
import {
  buildSliRateExpressions,
  SLO_CLUSTER_GROUPING,
} from './sli-expressions.js';
import {
  sloAlertAnnotations,
  sloAlertLabels,
  type SloAlertSubject,
} from './slo-alert-content.js';
import {
  SLO_ALERT_NAMES,
  sloRecordName,
  type SloRecordKind,
  type SloScope,
} from './slo-rule-names.js';

/** The windows every SLO gets, whatever the alert table (the SLO API's windows). */
export const SLO_RULE_BASE_WINDOWS = [
  '5m',
  '30m',
  '1h',
  '2h',
  '6h',
  '1d',
  '3d',
] as const;

/** Default evaluation interval of the generated groups. */
export const DEFAULT_SLO_RULE_GROUP_INTERVAL = '1m';

/** The 5m rate is the one the SLO window is summed from. */
const BASE_RATE_WINDOW_MS = 5 * 60_000;

/** Options of generateSloRules. */
export interface GenerateSloRulesOptions {
  /**
   * Burn-rate pairs for SLOs that set no `alerting.windows` of their own.
   * Default DEFAULT_SLO_ALERT_WINDOWS (the workbook's table).
   */
  readonly alertWindows?: readonly BurnRateWindowPair[] | undefined;
  /** Evaluation interval of each group (Prometheus duration, 1s to 5m). Default `1m`. */
  readonly groupInterval?: string | undefined;
  /**
   * Runbook link template for the `runbook_url` annotation; `{alert}` (the
   * alert name in lowercase), `{slo}`, `{service}` are replaced. Default
   * DEFAULT_SLO_RUNBOOK_URL, the link fleetgate's own SLO alerts carry:
   * another link makes the two senders' annotations differ.
   */
  readonly runbookUrl?: string | undefined;
  /** `for:` of the alerts per severity. Default none: the short window already debounces. */
  readonly alertFor?: Readonly<Record<string, string>> | undefined;
}

/**
 * Per-SLO alert pairs, as the engine's config (config/slo-schema.ts) adds
 * them to an SLO: durations in ms. Read when present so the rules alert on
 * the same table as fleetgate itself.
 */
interface SloAlertingConfig {
  readonly alerting?:
    | {
        readonly windows?:
          | readonly {
              readonly severity: string;
              readonly long: number;
              readonly short: number;
              readonly budget_consumed?: number | undefined;
              readonly factor?: number | undefined;
            }[]
          | undefined;
      }
    | undefined;
}

/** A rule as Prometheus' rule file spells it. */
interface RecordingRule {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleGroup {
  name: string;
  interval: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** What every SLO's rules share: the validated options. */
interface Plan {
  readonly alertWindows: readonly BurnRateWindowPair[];
  readonly intervalText: string;
  readonly intervalSeconds: number;
  readonly runbookUrl: string | undefined;
  readonly alertFor: Readonly<Record<string, string>>;
}

/** A number as PromQL reads it back unchanged (JS shortest round-trip form). */
function formatNumber(value: number): string {
  return String(value);
}

/** 1 − objective without binary noise (1 − 0.999 is 0.0010000000000000009). */
export function errorBudgetOf(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/** Makes free text safe inside a Prometheus (Go) template annotation. */
function escapeTemplate(text: string): string {
  return text.replace(/\{\{/g, '{{ "{{" }}');
}

function makePlan(options: GenerateSloRulesOptions): Plan {
  const problems: string[] = [];
  const intervalText = options.groupInterval ?? DEFAULT_SLO_RULE_GROUP_INTERVAL;
  const intervalMs = parseDuration(intervalText);
  if (
    intervalMs === undefined ||
    intervalMs < 1000 ||
    intervalMs > BASE_RATE_WINDOW_MS
  ) {
    problems.push(
      `groupInterval: want a duration from 1s to 5m (the shortest window), got ${JSON.stringify(intervalText)}`
    );
  }
  const alertFor: Record<string, string> = {};
  for (const [severity, text] of Object.entries(options.alertFor ?? {})) {
    const ms = parseDuration(text);
    if (ms === undefined)
      problems.push(
        `alertFor.${severity}: invalid duration ${JSON.stringify(text)}`
      );
    else if (ms > 0) alertFor[severity] = formatDuration(ms);
  }
  const alertWindows = options.alertWindows ?? DEFAULT_SLO_ALERT_WINDOWS;
  try {
    // Validate once up front, so a bad option is reported once, not per SLO.
    resolveAlertWindows(alertWindows, 30 * 86_400_000);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.issues);
  }
  if (problems.length > 0)
    throw new ConfigError(
      `cannot generate SLO rules:\n  ${problems.join('\n  ')}`,
      problems
    );
  return {
    alertWindows,
    intervalText: formatDuration(intervalMs!),
    intervalSeconds: intervalMs! / 1000,
    runbookUrl: options.runbookUrl,
    alertFor,
  };
}

/** The SLO's own alert pairs (ms → duration text), else the plan's. */
function alertPairsOf(slo: SloConfig, plan: Plan): ResolvedWindowPair[] {
  const own = (slo as SloConfig & SloAlertingConfig).alerting?.windows;
  if (own === undefined || own.length === 0)
    return resolveAlertWindows(plan.alertWindows, slo.window);
  const pairs = own.map(w => ({
    severity: w.severity,
    long: formatDuration(w.long),
    short: formatDuration(w.short),
    budgetConsumed: w.budget_consumed,
    factor: w.factor,
  }));
  return resolveAlertWindows(
    pairs,
    slo.window,
    `slos[${slo.name}].alerting.windows`
  );
}

/** The base windows and the pairs' windows, ascending, as duration text. */
function windowsOf(pairs: readonly ResolvedWindowPair[]): string[] {
  const windowMs = new Set<number>(
    SLO_RULE_BASE_WINDOWS.map(w => parseDuration(w)!)
  );
  for (const pair of pairs) {
    windowMs.add(pair.longMs);
    windowMs.add(pair.shortMs);
  }
  return [...windowMs].sort((a, b) => a - b).map(formatDuration);
}

/** Builds the rules of one SLO; see the module comment for the order. */
function buildGroup(slo: SloConfig, plan: Plan): RuleGroup {
  const rules: (RecordingRule | AlertingRule)[] = [];
  const sloLabels = { slo: slo.name };
  const of = (kind: SloRecordKind, window?: string): string =>
    `${sloRecordName(kind, window)}{slo="${slo.name}"}`;
  const record = (
    kind: SloRecordKind,
    window: string | undefined,
    expr: string
  ): void => {
    rules.push({
      record: sloRecordName(kind, window),
      expr,
      labels: { ...sloLabels },
    });
  };
  const budget = formatNumber(errorBudgetOf(slo.objective));
  const period = formatDuration(slo.window);
  const pairs = alertPairsOf(slo, plan);
  const windows = windowsOf(pairs);
  const hasRawPeriod = windows.includes(period);

  // 1. Raw rates and ratios per cluster.
  for (const window of windows) {
    const sli = buildSliRateExpressions(slo, window);
    record('totalRate', window, sli.total);
    record('badRate', window, sli.bad);
    record(
      'errorRatio',
      window,
      `${of('badRate', window)} / ${of('totalRate', window)}`
    );
  }

  // 2. The SLO window, traffic-weighted from the 5m rates.
  if (!hasRawPeriod) {
    // Σ over W of (5m rate × interval) ≈ events in W; the factor cancels in
    // the ratio, so the ratio stays exact if evaluations are missed.
    const increase = (kind: 'badRate' | 'totalRate'): string =>
      `sum by (${SLO_CLUSTER_GROUPING}) (sum_over_time(${of(kind, '5m')}[${period}])) * ${formatNumber(plan.intervalSeconds)}`;
    record('badIncrease', period, increase('badRate'));
    record('totalIncrease', period, increase('totalRate'));
    record(
      'errorRatio',
      period,
      `${of('badIncrease', period)} / ${of('totalIncrease', period)}`
    );
  }
  const allWindows = hasRawPeriod ? windows : [...windows, period];

  // 3. Burn rates per cluster.
  for (const window of allWindows)
    record('burnRate', window, `${of('errorRatio', window)} / ${budget}`);

  // 4. Objective and budget, one series per cluster with data in the window.
  const clustersInPeriod = `group by (${SLO_CLUSTER_GROUPING}) (${hasRawPeriod ? of('totalRate', period) : of('totalIncrease', period)})`;
  record(
    'objective',
    undefined,
    `${formatNumber(slo.objective)} * ${clustersInPeriod}`
  );
  record('errorBudget', undefined, `${budget} * ${clustersInPeriod}`);
  record(
    'timePeriodDays',
    undefined,
    `${formatNumber(slo.window / 86_400_000)} * ${clustersInPeriod}`
  );
  record('periodBurnRate', undefined, of('burnRate', period));
  record('periodBudgetRemaining', undefined, `1 - ${of('periodBurnRate')}`);

  // 5. The fleet: events summed over clusters, then divided.
  for (const window of allWindows) {
    const [bad, total] =
      window === period && !hasRawPeriod
        ? (['badIncrease', 'totalIncrease'] as const)
        : (['badRate', 'totalRate'] as const);
    record(
      'fleetErrorRatio',
      window,
      `sum by (slo) (${of(bad, window)}) / sum by (slo) (${of(total, window)})`
    );
  }
  for (const window of allWindows)
    record(
      'fleetBurnRate',
      window,
      `${of('fleetErrorRatio', window)} / ${budget}`
    );
  const anyClusterInPeriod = `group(${of('objective')})`;
  record(
    'fleetObjective',
    undefined,
    `${formatNumber(slo.objective)} * ${anyClusterInPeriod}`
  );
  record('fleetErrorBudget', undefined, `${budget} * ${anyClusterInPeriod}`);
  record('fleetPeriodBurnRate', undefined, of('fleetBurnRate', period));
  record(
    'fleetPeriodBudgetRemaining',
    undefined,
    `1 - ${of('fleetPeriodBurnRate')}`
  );

  // 6. Alerts.
  for (const scope of ['cluster', 'fleet'] as const) {
    for (const severity of severitiesOf(pairs)) {
      rules.push(
        buildAlert(
          slo,
          plan,
          scope,
          severity,
          pairs.filter(p => p.severity === severity)
        )
      );
    }
  }
  return {
    name: `fleetgate-slo-${slo.name}`,
    interval: plan.intervalText,
    rules,
  };
}

function buildAlert(
  slo: SloConfig,
  plan: Plan,
  scope: SloScope,
  severity: string,
  pairs: readonly ResolvedWindowPair[]
): AlertingRule {
  const burn = (window: string): string =>
    `${sloRecordName(scope === 'fleet' ? 'fleetBurnRate' : 'burnRate', window)}{slo="${slo.name}"}`;
  // `and` binds tighter than `or`; the brackets are for the reader. The value
  // is the first matching pair's long-window burn rate.
  const expr = pairs
    .map(
      p =>
        `(\n  ${burn(p.long)} > ${formatNumber(p.factor)}\nand\n  ${burn(p.short)} > ${formatNumber(p.factor)}\n)`
    )
    .join('\nor\n');
  // The labels and text the gateway's own alert has too (slo-alert-content.ts);
  // Prometheus expands templates in labels and annotations, hence the escape,
  // and names the cluster in the text from the series' label.
  const subject: SloAlertSubject = {
    ...slo,
    window: formatDuration(slo.window),
  };
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(
    sloAlertLabels(subject, scope, severity)
  ))
    labels[name] = escapeTemplate(value);
  const rule: AlertingRule = {
    alert: SLO_ALERT_NAMES[scope],
    expr,
    labels,
    annotations: sloAlertAnnotations(subject, scope, severity, {
      cluster: '{{ $labels.cluster }}',
      escape: escapeTemplate,
      runbookUrl: plan.runbookUrl,
    }),
  };
  const wait = plan.alertFor[severity];
  if (wait !== undefined) {
    // Keep Prometheus' key order: alert, expr, for, labels, annotations.
    return {
      alert: rule.alert,
      expr,
      for: wait,
      labels,
      annotations: rule.annotations,
    };
  }
  return rule;
}

/**
 * Generates the Prometheus rule file (YAML text) for `slos`: recording rules
 * per cluster and for the fleet, and multi-window multi-burn-rate alerts.
 * Pure: the same input gives byte-identical output. Throws ConfigError when
 * an option or an SLI selector cannot be used, listing every problem.
 */
export function generateSloRules(
  slos: readonly SloConfig[],
  options: GenerateSloRulesOptions = {}
): string {
  const plan = makePlan(options);
  const problems: string[] = [];
  const groups: RuleGroup[] = [];
  for (const slo of slos) {
    try {
      groups.push(buildGroup(slo, plan));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.issues);
    }
  }
  if (problems.length > 0)
    throw new ConfigError(
      `cannot generate SLO rules:\n  ${problems.join('\n  ')}`,
      problems
    );
  const doc = new Document({ groups });
  doc.commentBefore = [
    ' Generated by `fleetgate slo rules`: do not edit. Change the SLOs in the',
    ' fleetgate config and generate again. Series and alert names: see',
    ' src/slo/rules/slo-rule-names.ts (SLO_RECORD_NAMES, SLO_ALERT_NAMES).',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
