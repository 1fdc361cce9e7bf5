/**
 * The SLO figures on /metrics, computed at scrape time from the engine's
 * state (collect callbacks; the hot path updates no gauge). Labels: `slo`,
 * `cluster`, `window` (`severity` for alerts).
 *
 * The fleet-wide figure is the series with `cluster=""` (decision): in
 * PromQL an empty label is the same as no label, so
 * `fleetgate_slo_burn_rate{slo="checkout-availability",cluster=""}` is the
 * fleet and `{cluster!=""}` the breakdown, and no real cluster name can
 * collide with it (the registry refuses empty names). A window without
 * traffic has no error ratio and no burn rate series (not NaN).
 *
 * | metric | labels | value |
 * |---|---|---|
 * | fleetgate_slo_objective | slo | objective (0.999) |
 * | fleetgate_slo_error_ratio | slo, cluster, window | bad / total |
 * | fleetgate_slo_burn_rate | slo, cluster, window | error ratio / (1 − objective) |
 * | fleetgate_slo_error_budget_remaining | slo, cluster | share of the SLO window's budget left |
 * | fleetgate_slo_alert | slo, cluster, severity | 1 firing, 0 not |
 * | fleetgate_slo_warnings | slo | warnings in the API answer (e.g. an unknown le bucket) |
 * | fleetgate_slo_tracked_series | | counter series with a last value kept |
 * | fleetgate_slo_state_bytes | | bytes of bucket arrays over all (SLO, cluster) |
 * | fleetgate_slo_samples_ignored_total | reason | out_of_order, untracked |
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { SloReport } from './slo-report.js';

export const SLO_METRIC_NAMES = [
  'fleetgate_slo_objective',
  'fleetgate_slo_error_ratio',
  'fleetgate_slo_burn_rate',
  'fleetgate_slo_error_budget_remaining',
  'fleetgate_slo_alert',
  'fleetgate_slo_warnings',
  'fleetgate_slo_tracked_series',
  'fleetgate_slo_state_bytes',
  'fleetgate_slo_samples_ignored_total',
] as const;

/** The `cluster` label value of fleet-wide figures. */
export const FLEET_CLUSTER_LABEL = '';

export interface SloEngineStats {
  readonly trackedSeries: number;
  /** (SLO, cluster) counters held. */
  readonly counters: number;
  readonly stateBytes: number;
  readonly evictedSeries: number;
  readonly ignoredOutOfOrder: number;
  readonly ignoredUntracked: number;
  /** Times a series was matched against the selectors (once per stable series and generation). */
  readonly matchRuns: number;
}

/** What the gauges read; SloEngine implements it. */
export interface SloMetricsSource {
  /** Every SLO's report, fleet-wide with every cluster (cached briefly: one scrape asks once per gauge). */
  metricsReports(): Promise<SloReport[]>;
  stats(): SloEngineStats;
}

/**
 * Registers the gauges on `registry`. A later instance (a rebuilt engine)
 * replaces the earlier one's, so the registry always reads the live engine.
 */
export class SloMetrics {
  constructor(registry: Registry, source: SloMetricsSource) {
    for (const name of SLO_METRIC_NAMES) {
      if (registry.getSingleMetric(name) !== undefined)
        registry.removeSingleMetric(name);
    }
    const registers = [registry];
    const fromReports = <L extends string>(
      gauge: () => Gauge<L>,
      fill: (g: Gauge<L>, report: SloReport) => void
    ): (() => Promise<void>) => {
      return async () => {
        const reports = await source.metricsReports();
        const g = gauge();
        g.reset();
        for (const report of reports) fill(g, report);
      };
    };

    const objective: Gauge<'slo'> = new Gauge({
      name: 'fleetgate_slo_objective',
      help: 'SLO objective as a ratio (e.g. 0.999), by SLO.',
      labelNames: ['slo'],
      registers,
      collect: fromReports(
        () => objective,
        (g, r) => g.set({ slo: r.name }, r.objective)
      ),
    });
    // The per-cluster families hold (SLOs × clusters × windows) values (80,000 for 50 SLOs over
    // 100 clusters): built as plain arrays, without a Gauge.set (label hashing) per value.
    const perScope = (
      name: string,
      help: string,
      fill: (
        out: ComputedValue[],
        slo: string,
        cluster: string,
        figures: ScopeFigures
      ) => void
    ): void => {
      const gauge = new ComputedGauge(name, help, async () => {
        const out: ComputedValue[] = [];
        for (const report of await source.metricsReports()) {
          forEachScope(report, (cluster, figures) =>
            fill(out, report.name, cluster, figures)
          );
        }
        return out;
      });
      registry.registerMetric(gauge as unknown as Metric);
    };
    perScope(
      'fleetgate_slo_error_ratio',
      'Bad events / total events over the window; cluster="" is the fleet (events summed over clusters). Absent without traffic.',
      (out, slo, cluster, figures) => {
        for (const [window, w] of Object.entries(figures.windows))
          if (w.error_ratio !== null)
            out.push({
              labels: { slo, cluster, window },
              value: w.error_ratio,
            });
      }
    );
    perScope(
      'fleetgate_slo_burn_rate',
      'Error ratio / (1 - objective) over the window; cluster="" is the fleet. Absent without traffic.',
      (out, slo, cluster, figures) => {
        for (const [window, w] of Object.entries(figures.windows))
          if (w.burn_rate !== null)
            out.push({ labels: { slo, cluster, window }, value: w.burn_rate });
      }
    );
    perScope(
      'fleetgate_slo_error_budget_remaining',
      'Share of the error budget left over the SLO window (1 = untouched, below 0 = overspent); cluster="" is the fleet.',
      (out, slo, cluster, figures) => {
        out.push({
          labels: { slo, cluster },
          value: figures.error_budget.remaining,
        });
      }
    );
    perScope(
      'fleetgate_slo_alert',
      'Multi-window multi-burn-rate alert state (1 firing, 0 not) by SLO, cluster ("" = fleet) and severity.',
      (out, slo, cluster, figures) => {
        for (const [severity, firing] of Object.entries(figures.alerts))
          out.push({
            labels: { slo, cluster, severity },
            value: firing ? 1 : 0,
          });
      }
    );
    const warnings: Gauge<'slo'> = new Gauge({
      name: 'fleetgate_slo_warnings',
      help: 'Warnings about an SLO (listed in GET /api/v1/slos/{name}), e.g. a latency threshold that is not an observed le bucket.',
      labelNames: ['slo'],
      registers,
      collect: fromReports(
        () => warnings,
        (g, r) => g.set({ slo: r.name }, r.warnings.length)
      ),
    });
    const tracked: Gauge = new Gauge({
      name: 'fleetgate_slo_tracked_series',
      help: 'Counter series whose last value the SLO engine keeps on this replica.',
      registers,
      collect: () => tracked.set(source.stats().trackedSeries),
    });
    const stateBytes: Gauge = new Gauge({
      name: 'fleetgate_slo_state_bytes',
      help: 'Bytes of SLO bucket arrays on this replica (at most 17,152 per SLO and cluster).',
      registers,
      collect: () => stateBytes.set(source.stats().stateBytes),
    });
    const ignored: Counter<'reason'> = new Counter({
      name: 'fleetgate_slo_samples_ignored_total',
      help: 'Samples of SLO series not counted, by reason: out_of_order (not newer than the series last sample, e.g. a retried request), untracked (the series table was full).',
      labelNames: ['reason'],
      registers,
      collect: () => {
        const stats = source.stats();
        ignored.reset();
        ignored.inc({ reason: 'out_of_order' }, stats.ignoredOutOfOrder);
        ignored.inc({ reason: 'untracked' }, stats.ignoredUntracked);
      },
    });
  }
}

type ScopeFigures = Pick<SloReport, 'windows' | 'alerts' | 'error_budget'>;

interface ComputedValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A gauge family computed at scrape time. It has the two methods the
 * Registry calls on a metric (`get`, and `reset` from resetMetrics), so
 * prom-client formats it like its own Gauge, minus the per-value
 * `set` bookkeeping.
 */
class ComputedGauge {
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly _compute: () => Promise<ComputedValue[]>;

  constructor(
    name: string,
    help: string,
    compute: () => Promise<ComputedValue[]>
  ) {
    this.name = name;
    this.help = help;
    this._compute = compute;
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ComputedValue[];
  }> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: await this._compute(),
    };
  }

  reset(): void {
    // Nothing held between scrapes.
  }
}

/** The fleet (cluster="") and every cluster of a report. */
function forEachScope(
  report: SloReport,
  fn: (cluster: string, figures: ScopeFigures) => void
): void {
  fn(FLEET_CLUSTER_LABEL, report);
  for (const c of report.clusters) fn(c.cluster, c);
}
