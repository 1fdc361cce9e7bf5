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

/** The default link template: the alert's section of RUNBOOKS.md. */
export const DEFAULT_RUNBOOK_URL_TEMPLATE = `${FLEETGATE_RUNBOOKS_URL}#{alert}`;

/** Where the runbook link template comes from (`alerting.runbook_url`; read at each use, so a reload applies). */
export type RunbookUrlTemplate = () => string | undefined;

/**
 * A runbook link from a template (`alerting.runbook_url`, or `fleetgate slo
 * rules --runbook-url`): `{alert}` is the alert name in lowercase (the
 * RUNBOOKS.md anchor), `{slo}` and `{service}` the SLO's (empty for alerts
 * about no SLO). Default: the alert's section of RUNBOOKS.md
 * (`FleetgateClusterDown` → `…/RUNBOOKS.md#fleetgateclusterdown`).
 */
export function runbookUrlOf(
  alertname: string,
  template: string = DEFAULT_RUNBOOK_URL_TEMPLATE,
  slo?: { readonly name: string; readonly service: string }
): string {
  return template
    .replaceAll('{alert}', alertname.toLowerCase())
    .replaceAll('{slo}', slo?.name ?? '')
    .replaceAll('{service}', slo?.service ?? '');
}
