/**
 * The fleet tracker's cluster states as Alertmanager alerts, named like the
 * rules in alerts/fleetgate-rules.yml so routing and inhibition apply alike:
 * FleetgateClusterDown (page), FleetgateClusterStale (info) and, for a
 * degraded cluster, FleetgateClusterDegraded (ticket) with its reasons. They
 * carry the cluster's env and team, which the Prometheus rules cannot see.
 */
import type { FleetEvaluation } from '../fleet/index.js';
import type { AlertSource, GatewayAlert } from './alert-source.js';
import { FiringSince, type FiringAlert } from './firing-since.js';
import { runbookUrlOf, type RunbookUrlTemplate } from '../config/index.js';

export interface FleetEvaluationSource {
  evaluate(): Promise<FleetEvaluation>;
}

const ALERT_OF_STATE: Readonly<
  Record<string, { alertname: string; severity: string } | undefined>
> = {
  down: { alertname: 'FleetgateClusterDown', severity: 'page' },
  stale: { alertname: 'FleetgateClusterStale', severity: 'info' },
  degraded: { alertname: 'FleetgateClusterDegraded', severity: 'ticket' },
};

export class FleetAlertSource implements AlertSource {
  private readonly _fleet: FleetEvaluationSource;
  private readonly _since = new FiringSince();
  private readonly _now: () => number;
  private readonly _runbookUrl: RunbookUrlTemplate;

  constructor(
    fleet: FleetEvaluationSource,
    now: () => number = Date.now,
    runbookUrl: RunbookUrlTemplate = () => undefined
  ) {
    this._fleet = fleet;
    this._now = now;
    this._runbookUrl = runbookUrl;
  }

  async activeAlerts(): Promise<readonly GatewayAlert[]> {
    const evaluation = await this._fleet.evaluate();
    const template = this._runbookUrl();
    const firing: FiringAlert[] = [];
    for (const health of evaluation.clusters) {
      const alert = ALERT_OF_STATE[health.state];
      if (alert === undefined) continue;
      const labels: Record<string, string> = {
        ...alert,
        cluster: health.cluster,
        region: health.region,
        env: health.env,
        team: health.team,
      };
      const reasons = health.reasons.map(r => r.message).join('; ');
      firing.push({
        key: JSON.stringify(labels),
        labels,
        annotations: {
          summary: `cluster ${health.cluster} is ${health.state}`,
          description:
            reasons === ''
              ? `cluster ${health.cluster} is ${health.state}`
              : reasons,
          runbook_url: runbookUrlOf(alert.alertname, template),
        },
      });
    }
    return this._since.stamp(firing, this._now());
  }
}
