/**
 * The SLO engine's burn-rate alerts as Alertmanager alerts, the same alerts
 * the generated Prometheus rules (src/slo/rules) raise: SLOErrorBudgetBurn
 * per cluster, SLOFleetErrorBudgetBurn for the fleet. Labels and annotations
 * come from the rules' own builder (slo-alert-content.ts), so where both
 * fire Alertmanager holds one alert with one text:
 * - fleet: `alertname`, `severity`, `scope`, `slo`, `service` and the SLO's
 *   own labels (e.g. `team`);
 * - per cluster: the same plus `cluster`, `region` and `env`, which the
 *   rules keep from the normalized series and the gateway reads from the
 *   cluster registry (so a dev cluster's page routes to `nonprod`).
 */
import { UNSET_LABEL_VALUE } from '../fleet/index.js';
import type { SloReport } from '../slo/index.js';
import { sloAlertAnnotations, sloAlertLabels } from '../slo/index.js';
import { SLO_ALERT_NAMES, type SloScope } from '../slo/index.js';
import type { AlertSource, GatewayAlert } from './alert-source.js';
import { FiringSince, type FiringAlert } from './firing-since.js';
import type { RunbookUrlTemplate } from '../config/index.js';

export interface SloReportSource {
  reports(): Promise<readonly SloReport[]>;
}

/** What the alerts need of a registered cluster. */
export interface SloAlertCluster {
  readonly region: string;
  readonly env: string;
}

/** The cluster registry as the alerts read it (ClusterRegistry fits). */
export interface SloAlertClusters {
  /** The registered cluster `name`, or undefined. */
  byName(name: string): SloAlertCluster | undefined;
}

/**
 * What normalized data of an unregistered cluster carries when its sender
 * names no region or env (pipeline/canonical-label-resolver.ts).
 */
const UNREGISTERED: SloAlertCluster = {
  region: UNSET_LABEL_VALUE,
  env: UNSET_LABEL_VALUE,
};

const NO_CLUSTERS: SloAlertClusters = { byName: () => undefined };

export class SloAlertSource implements AlertSource {
  private readonly _slos: SloReportSource;
  private readonly _clusters: SloAlertClusters;
  private readonly _since = new FiringSince();
  private readonly _now: () => number;
  private readonly _runbookUrl: RunbookUrlTemplate;

  /**
   * @param clusters where a cluster's region and env come from; read at
   *   every answer, so a reloaded registry applies at once. Without it (or
   *   for a cluster it does not know) they are `unknown`, as normalization
   *   labels such a cluster's data.
   */
  constructor(
    slos: SloReportSource,
    clusters: SloAlertClusters = NO_CLUSTERS,
    now: () => number = Date.now,
    runbookUrl: RunbookUrlTemplate = () => undefined
  ) {
    this._slos = slos;
    this._clusters = clusters;
    this._now = now;
    this._runbookUrl = runbookUrl;
  }

  async activeAlerts(): Promise<readonly GatewayAlert[]> {
    const firing: FiringAlert[] = [];
    for (const report of await this._slos.reports()) {
      this._collect(firing, report, 'fleet', '', report.alerts);
      for (const c of report.clusters)
        this._collect(firing, report, 'cluster', c.cluster, c.alerts);
    }
    return this._since.stamp(firing, this._now());
  }

  /** Adds the firing severities of one scope of `report` to `out`. */
  private _collect(
    out: FiringAlert[],
    report: SloReport,
    scope: SloScope,
    cluster: string,
    alerts: Readonly<Record<string, boolean>>
  ): void {
    for (const [severity, isFiring] of Object.entries(alerts)) {
      if (!isFiring) continue;
      const labels: Record<string, string> = {
        alertname: SLO_ALERT_NAMES[scope],
        ...sloAlertLabels(report, scope, severity),
      };
      if (scope === 'cluster') {
        const known = this._clusters.byName(cluster) ?? UNREGISTERED;
        labels['cluster'] = cluster;
        labels['region'] = known.region;
        labels['env'] = known.env;
      }
      out.push({
        key: JSON.stringify(labels),
        labels,
        annotations: sloAlertAnnotations(report, scope, severity, {
          cluster,
          runbookUrl: this._runbookUrl(),
        }),
      });
    }
  }
}
