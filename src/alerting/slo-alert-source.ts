/**
 * The SLO engine's burn-rate alerts as Alertmanager alerts, named like the
 * generated Prometheus rules (src/slo/rules): SLOErrorBudgetBurn per cluster,
 * SLOFleetErrorBudgetBurn for the fleet, labelled severity, scope, slo,
 * service, cluster and the SLO's own labels (team, ...).
 */
import type { SloReport } from '../slo/index.js';
import type { AlertSource, GatewayAlert } from './alert-source.js';
import { FiringSince } from './firing-since.js';

export interface SloReportSource {
  reports(): Promise<readonly SloReport[]>;
}

const RUNBOOK_URL = 'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md#sloerrorbudgetburn';

export class SloAlertSource implements AlertSource {
  private readonly _slos: SloReportSource;
  private readonly _since = new FiringSince();
  private readonly _now: () => number;

  constructor(slos: SloReportSource, now: () => number = Date.now) {
    this._slos = slos;
    this._now = now;
  }

  async activeAlerts(): Promise<readonly GatewayAlert[]> {
    const firing: { key: string; labels: Record<string, string>; annotations: Record<string, string> }[] = [];
    for (const report of await this._slos.reports()) {
      const scopes = [{ cluster: '', figures: report }, ...report.clusters.map(c => ({ cluster: c.cluster, figures: c }))];
      for (const { cluster, figures } of scopes) {
        for (const [severity, isFiring] of Object.entries(figures.alerts)) {
          if (!isFiring) continue;
          const fleet = cluster === '';
          const labels: Record<string, string> = {
            ...report.labels,
            alertname: fleet ? 'SLOFleetErrorBudgetBurn' : 'SLOErrorBudgetBurn',
            severity,
            scope: fleet ? 'fleet' : 'cluster',
            slo: report.name,
            service: report.service,
          };
          if (!fleet) labels['cluster'] = cluster;
          const remaining = figures.error_budget.remaining;
          firing.push({
            key: JSON.stringify(labels),
            labels,
            annotations: {
              summary: `${report.name} is burning its error budget${fleet ? ' across the fleet' : ` in ${cluster}`} (${severity})`,
              description: `SLO ${report.name} (objective ${report.objective}, window ${report.window}) burns its error budget too fast; ${Math.round(remaining * 1000) / 10}% of the budget remains.`,
              runbook_url: RUNBOOK_URL,
            },
          });
        }
      }
    }
    const since = this._since.update(firing.map(f => f.key), this._now());
    return firing.map(f => ({ labels: f.labels, annotations: f.annotations, activeSinceMs: since.get(f.key)! }));
  }
}
