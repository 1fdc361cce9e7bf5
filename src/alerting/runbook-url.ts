/**
 * Where an alert's `runbook_url` points: a section of alerts/RUNBOOKS.md,
 * anchored by the alert name in lowercase (GitHub's heading anchor), as
 * alerts/fleetgate-rules.yml writes it. The gateway's own alerts and the
 * generated SLO rules link the same way, so an alert both of them send
 * carries one link, not two.
 */

/** The runbooks page; a section per alert. */
export const FLEETGATE_RUNBOOKS_URL =
  'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md';

/**
 * The runbook section of `alertname`
 * (`FleetgateClusterDown` → `…/RUNBOOKS.md#fleetgateclusterdown`).
 */
export function runbookUrlOf(alertname: string): string {
  return `${FLEETGATE_RUNBOOKS_URL}#${alertname.toLowerCase()}`;
}
