/**
 * The SLO engine as the fleet view sees it: which page (fast-burn) alerts
 * fire per cluster, and each SLO's status per cluster and fleet-wide. The
 * fleet view asks on every evaluation, and a full report over many SLOs and
 * clusters is not free, so answers are reused for a few seconds.
 */
import type { SloReport } from './slo-report.js';

/** One SLO's status for the fleet view (FleetTracker's SloStatus shape). */
export interface SloFleetStatus {
  readonly name: string;
  readonly objective: number;
  readonly errorBudgetRemaining: number;
  readonly alerts: Readonly<Record<string, boolean>>;
}

export interface SloReportSource {
  reports(): Promise<readonly SloReport[]>;
}

const REUSE_MS = 5000;
const PAGE = 'page';

export class SloFleetView {
  private readonly _engine: SloReportSource;
  private readonly _now: () => number;
  private _cached:
    { atMs: number; reports: Promise<readonly SloReport[]> } | undefined;

  constructor(engine: SloReportSource, now: () => number = Date.now) {
    this._engine = engine;
    this._now = now;
  }

  async firingPageAlerts(cluster: string): Promise<readonly string[]> {
    const names: string[] = [];
    for (const report of await this._reports()) {
      const own = report.clusters.find(c => c.cluster === cluster);
      if (own?.alerts[PAGE] === true) names.push(report.name);
    }
    return names;
  }

  async clusterSlos(cluster: string): Promise<readonly SloFleetStatus[]> {
    const out: SloFleetStatus[] = [];
    for (const report of await this._reports()) {
      const own = report.clusters.find(c => c.cluster === cluster);
      if (own === undefined) continue;
      out.push({
        name: report.name,
        objective: report.objective,
        errorBudgetRemaining: own.error_budget.remaining,
        alerts: own.alerts,
      });
    }
    return out;
  }

  async fleetSlos(): Promise<readonly SloFleetStatus[]> {
    return (await this._reports()).map(report => ({
      name: report.name,
      objective: report.objective,
      errorBudgetRemaining: report.error_budget.remaining,
      alerts: report.alerts,
    }));
  }

  private _reports(): Promise<readonly SloReport[]> {
    const nowMs = this._now();
    if (this._cached === undefined || nowMs - this._cached.atMs >= REUSE_MS) {
      this._cached = { atMs: nowMs, reports: this._engine.reports() };
    }
    return this._cached.reports;
  }
}
