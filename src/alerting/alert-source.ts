/**
 * The seam between what decides that an alert holds (the SLO engine, the
 * fleet tracker) and what tells Alertmanager (AlertNotifier). A source
 * answers with the alerts firing now; it neither remembers resolved alerts
 * nor talks to Alertmanager: the notifier sees an alert stop when it is no
 * longer in the answer, and sends it resolved.
 */

/** One alert that holds now, as a source reports it. */
export interface GatewayAlert {
  /**
   * Identify the alert: two answers with the same labels (empty values
   * ignored) are the same alert. Include `alertname` and `severity`; keep
   * replica-specific labels out, so that every replica sends the same alert
   * and Alertmanager merges them. Names must match `[a-zA-Z_][a-zA-Z0-9_]*`.
   */
  readonly labels: Readonly<Record<string, string>>;
  /** `summary`, `description`, `runbook_url`, ...; may change between answers. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Unix time in ms since when the condition holds (Alertmanager's `startsAt`). */
  readonly activeSinceMs: number;
  /** Link back to what fired (e.g. the SLO's API page); the notifier's default when absent. */
  readonly generatorURL?: string;
}

/** Something that knows which alerts hold now. */
export interface AlertSource {
  /**
   * The alerts firing now. A rejection is logged and the source's previous
   * answer stands, so a failing source never resolves its alerts.
   */
  activeAlerts(): Promise<readonly GatewayAlert[]>;
}
