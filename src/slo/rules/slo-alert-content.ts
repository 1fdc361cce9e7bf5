/**
 * What an SLO burn alert says, written once for both of its senders: the
 * generated Prometheus rules (generate-slo-rules.ts) and the gateway's own
 * SLO engine (src/alerting/slo-alert-source.ts). Alertmanager merges the two
 * into one alert because their labels are equal; the newest post sets the
 * annotations, so they must be equal too, or a notification's text flips
 * between the senders.
 *
 * Hence no figure in the text: the burn rate or budget left that each sender
 * would quote is computed apart (rate() in Prometheus, event sums in the
 * engine) and never quite agrees, and a rule's `{{ $value }}` changes at
 * every evaluation. The figures are a click away: the runbook section says
 * where.
 *
 * Labels: the series carry SLO_CLUSTER_LABELS (per cluster) and the alert
 * rule adds sloAlertLabels; the gateway sets both itself.
 */
import {
  DEFAULT_RUNBOOK_URL_TEMPLATE,
  runbookUrlOf,
} from '../../config/index.js';
import {
  SLO_ALERT_NAMES,
  SLO_CLUSTER_LABELS,
  type SloScope,
} from './slo-rule-names.js';

/** What the alert text needs of an SLO; SloReport fits as it is. */
export interface SloAlertSubject {
  readonly name: string;
  readonly service: string;
  /** Free text appended to the description; empty or absent: nothing. */
  readonly description?: string | undefined;
  /** E.g. 0.999. */
  readonly objective: number;
  /** The SLO window as a Prometheus duration, e.g. `30d`. */
  readonly window: string;
  /** The SLO's own labels (e.g. `team`). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The default runbook link: the alert's section of alerts/RUNBOOKS.md, as
 * fleetgate's other alerts link (`{alert}`: the alert name in lowercase).
 */
export const DEFAULT_SLO_RUNBOOK_URL = DEFAULT_RUNBOOK_URL_TEMPLATE;

/** How one sender writes the text. */
export interface SloAlertTextOptions {
  /**
   * The cluster as the text names it (cluster scope): the gateway passes the
   * name, the rules a template that Prometheus expands to it.
   */
  readonly cluster: string;
  /**
   * Applied to text taken from the config, never to `cluster`: the rules
   * escape Go template braces. Default: as is.
   */
  readonly escape?: ((text: string) => string) | undefined;
  /**
   * Runbook link; `{alert}` (the alert name in lowercase, the RUNBOOKS.md
   * anchor), `{slo}` and `{service}` are replaced. Default
   * DEFAULT_SLO_RUNBOOK_URL; both senders read `alerting.runbook_url`.
   */
  readonly runbookUrl?: string | undefined;
}

/** Labels an SLO's own `labels` cannot set: the alert's identity and the series' topology. */
const RESERVED_ALERT_LABELS: ReadonlySet<string> = new Set([
  'alertname',
  'severity',
  'scope',
  'slo',
  'service',
  ...SLO_CLUSTER_LABELS,
]);

/** `99.9%` */
function formatPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(12))}%`;
}

const asIs = (text: string): string => text;

/**
 * The labels an SLO burn alert gets besides `alertname` and, per cluster,
 * SLO_CLUSTER_LABELS: `severity`, `scope`, `slo`, `service`, then the SLO's
 * own labels except reserved names (SLO_CLUSTER_LABELS, the ones above,
 * `alertname`, and `__`-prefixed ones). Values as is (the rules escape them).
 */
export function sloAlertLabels(
  slo: SloAlertSubject,
  scope: SloScope,
  severity: string
): Record<string, string> {
  const labels: Record<string, string> = {
    severity,
    scope,
    slo: slo.name,
    service: slo.service,
  };
  for (const [name, value] of Object.entries(slo.labels)) {
    if (!RESERVED_ALERT_LABELS.has(name) && !name.startsWith('__'))
      labels[name] = value;
  }
  return labels;
}

/**
 * The `summary`, `description` and `runbook_url` of an SLO burn alert at
 * `severity` in `scope`. The same inputs give the same text for both
 * senders once Prometheus has expanded the rules' templates.
 */
export function sloAlertAnnotations(
  slo: SloAlertSubject,
  scope: SloScope,
  severity: string,
  options: SloAlertTextOptions
): Record<string, string> {
  const escape = options.escape ?? asIs;
  const where =
    scope === 'fleet' ? 'across the fleet' : `in cluster ${options.cluster}`;
  const alertname = SLO_ALERT_NAMES[scope];
  const runbookUrl = runbookUrlOf(
    alertname,
    options.runbookUrl ?? DEFAULT_SLO_RUNBOOK_URL,
    slo
  );
  const description = [
    `The error budget of ${escape(slo.name)} (${formatPercent(slo.objective)} over ${slo.window}) is burning ${where} faster than its ${escape(severity)} threshold, over both a long and a short window.`,
    escape(slo.description ?? ''),
  ]
    .filter(text => text !== '')
    .join(' ');
  return {
    summary: `SLO ${escape(slo.name)} (${escape(slo.service)}) is burning its error budget too fast ${where}`,
    description,
    runbook_url: escape(runbookUrl),
  };
}
