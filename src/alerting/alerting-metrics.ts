/**
 * The alert notifier's metrics:
 * - `fleetgate_alerts_sent_total{alertmanager,result}`: alerts (firing and
 *   resolved) per Alertmanager, counted once per delivery (one evaluation's
 *   POST, after its retries) by result: `success`, `rejected` (4xx: the
 *   Alertmanager refused them), `failed` (5xx or network errors until the
 *   next evaluation was due), `invalid` (never sent: a label Alertmanager
 *   would refuse);
 * - `fleetgate_alerts_active`: alerts firing at the last evaluation.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const ALERTS_SENT_METRIC = 'fleetgate_alerts_sent_total';
export const ALERTS_ACTIVE_METRIC = 'fleetgate_alerts_active';

/** The `result` label of ALERTS_SENT_METRIC. */
export type AlertSendResult = 'success' | 'rejected' | 'failed' | 'invalid';

/**
 * Instruments on a given Registry. Get-or-create: a notifier rebuilt
 * against the same registry (a reload) reuses the instruments, because
 * prom-client refuses to register a name twice.
 */
export class AlertingMetrics {
  private readonly _sent: Counter<'alertmanager' | 'result'>;
  private readonly _active: Gauge;

  constructor(registry: Registry) {
    const sent = registry.getSingleMetric(ALERTS_SENT_METRIC);
    this._sent =
      sent instanceof Counter
        ? sent
        : new Counter({
            name: ALERTS_SENT_METRIC,
            help: 'Alerts (firing and resolved) sent to an Alertmanager, once per delivery after retries, by result (success, rejected: 4xx, failed: 5xx or network errors, invalid: not sent).',
            labelNames: ['alertmanager', 'result'],
            registers: [registry],
          });
    const active = registry.getSingleMetric(ALERTS_ACTIVE_METRIC);
    this._active =
      active instanceof Gauge
        ? active
        : new Gauge({
            name: ALERTS_ACTIVE_METRIC,
            help: 'Alerts firing at the last evaluation of the alert sources (SLO and fleet alerts fleetgate sends to Alertmanager).',
            registers: [registry],
          });
  }

  /** Creates the series of `alertmanager` at 0, so rates read from the first scrape. */
  addAlertmanager(alertmanager: string): void {
    for (const result of ['success', 'rejected', 'failed'] as const)
      this._sent.inc({ alertmanager, result }, 0);
  }

  /** `alerts` alerts delivered to `alertmanager` (its name) with `result`. */
  countSent(
    alertmanager: string,
    result: AlertSendResult,
    alerts: number
  ): void {
    if (alerts > 0) this._sent.inc({ alertmanager, result }, alerts);
  }

  setActive(alerts: number): void {
    this._active.set(alerts);
  }
}
