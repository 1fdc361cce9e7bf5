/**
 * Alertmanager API v2 `postableAlert` (PROTOCOLS.md §2.16): the body of
 * `POST /api/v2/alerts` is a JSON array of these. `labels` identify and
 * dedupe an alert; `endsAt` in the future keeps it firing until then, in
 * the past resolves it.
 */
import type { GatewayAlert } from './alert-source.js';

/** One alert as Alertmanager's v2 API takes it. Times are RFC 3339. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

// Alertmanager 0.25 refuses a whole request (400) when one alert has a
// label name outside the classic Prometheus charset.
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Why `alert` cannot be posted (Alertmanager would refuse the request that
 * carries it), or undefined when it can.
 */
export function invalidAlertReason(alert: GatewayAlert): string | undefined {
  let labelCount = 0;
  for (const [name, value] of Object.entries(alert.labels)) {
    if (!LABEL_NAME_RE.test(name))
      return `invalid label name ${JSON.stringify(name)}`;
    if (value !== '') labelCount++;
  }
  if (labelCount === 0) return 'no label with a value';
  for (const name of Object.keys(alert.annotations)) {
    if (!LABEL_NAME_RE.test(name))
      return `invalid annotation name ${JSON.stringify(name)}`;
  }
  if (!Number.isFinite(alert.activeSinceMs))
    return `activeSinceMs is not a time: ${alert.activeSinceMs}`;
  return undefined;
}

/**
 * The postable form of `alert`, active from `startsAtMs` to `endsAtMs`
 * (Unix ms; `endsAtMs` is raised to `startsAtMs` if below it, which
 * Alertmanager refuses). Empty label values are left out.
 */
export function toPostableAlert(
  alert: GatewayAlert,
  startsAtMs: number,
  endsAtMs: number,
  defaultGeneratorURL?: string
): PostableAlert {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(alert.labels))
    if (value !== '') labels[name] = value;
  const postable: PostableAlert = {
    labels,
    annotations: { ...alert.annotations },
    startsAt: new Date(startsAtMs).toISOString(),
    endsAt: new Date(Math.max(startsAtMs, endsAtMs)).toISOString(),
  };
  const generatorURL = alert.generatorURL ?? defaultGeneratorURL;
  if (generatorURL !== undefined && generatorURL !== '')
    postable.generatorURL = generatorURL;
  return postable;
}
