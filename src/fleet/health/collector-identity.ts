/**
 * Which collector sends for a cluster, and which version: from the
 * User-Agent (RFC 9110 product tokens, as each sender writes them) and, for
 * OTLP, the resource attributes (`service.name`/`service.version` of a
 * collector's own telemetry, `telemetry.sdk.*` of an SDK). Sender-controlled
 * text: every result is bounded and reduced to a small alphabet, because it
 * ends up in the API and in metric labels.
 *
 * User-Agents handled (first product token):
 * | sender                    | User-Agent                                          | kind                 |
 * | Prometheus (agent mode)   | `Prometheus/2.42.0`                                 | `prometheus`         |
 * | OTel Collector            | `OpenTelemetry Collector Contrib/0.91.0 (linux/amd64)` | `otelcol-contrib` (`otelcol`, `otelcol-k8s`, …) |
 * | Grafana Alloy             | `Alloy/v1.5.0 (linux; helm)`                        | `alloy`              |
 * | Grafana Agent             | `GrafanaAgent/v0.40.0 (static; linux; binary)`      | `grafana-agent`      |
 * | vmagent                   | `vmagent` (no version)                              | `vmagent`            |
 * | OTel SDK exporters        | `OTel-OTLP-Exporter-JavaScript/0.52.0`, `OTel OTLP Exporter Go/1.21.0` | `otel-sdk-<language>` |
 * Anything else keeps its first product name, lowercased.
 */

/** A collector kind and version (`''` when not told). */
export interface CollectorIdentity {
  readonly kind: string;
  readonly version: string;
}

/** OTLP resource attributes: the decoded key/value list, or a plain record. */
export type CollectorResource =
  | readonly { readonly key: string; readonly value: unknown }[]
  | Readonly<Record<string, unknown>>;

const MAX_KIND_CHARS = 48;
const MAX_VERSION_CHARS = 32;

const OTEL_COLLECTOR_RE = /^OpenTelemetry Collector(?: ([^/]+?))?\/(\S+)/i;
const OTEL_EXPORTER_RE = /^OTel[- ]OTLP[- ]Exporter[- ]([A-Za-z+#]+)\/(\S+)/i;
const PRODUCT_RE = /^([A-Za-z][A-Za-z0-9._-]*)(?:\/(\S+))?/;

/** Product names whose kind differs from the lowercased name. */
const KIND_OF_PRODUCT: Readonly<Record<string, string>> = {
  grafanaagent: 'grafana-agent',
  'grafana-agent': 'grafana-agent',
  otelcol: 'otelcol',
  'otelcol-contrib': 'otelcol-contrib',
  'otelcol-k8s': 'otelcol-k8s',
};

/** SDK languages as `telemetry.sdk.language` names them. */
const LANGUAGE_OF_EXPORTER: Readonly<Record<string, string>> = {
  javascript: 'nodejs',
  js: 'nodejs',
  node: 'nodejs',
  'c#': 'dotnet',
  csharp: 'dotnet',
  '.net': 'dotnet',
};

/**
 * The collector behind a User-Agent, or undefined when the header is
 * missing or names nothing we can read.
 */
export function collectorFromUserAgent(
  userAgent: string | undefined
): CollectorIdentity | undefined {
  if (userAgent === undefined) return undefined;
  const ua = userAgent.trim();
  if (ua === '') return undefined;
  const collector = OTEL_COLLECTOR_RE.exec(ua);
  if (collector !== null) {
    const distribution = collector[1];
    const kind =
      distribution === undefined
        ? 'otelcol'
        : distribution.toLowerCase() === 'for kubernetes'
          ? 'otelcol-k8s'
          : `otelcol-${distribution}`;
    return identity(kind, collector[2]!);
  }
  const exporter = OTEL_EXPORTER_RE.exec(ua);
  if (exporter !== null) {
    const language = exporter[1]!.toLowerCase();
    return identity(
      `otel-sdk-${LANGUAGE_OF_EXPORTER[language] ?? language}`,
      exporter[2]!
    );
  }
  const product = PRODUCT_RE.exec(ua);
  if (product === null) return undefined;
  const name = product[1]!.toLowerCase();
  return identity(KIND_OF_PRODUCT[name] ?? name, product[2] ?? '');
}

/**
 * The collector behind OTLP resource attributes: a collector's own
 * telemetry (`service.name` = `otelcol*`, `alloy`) first, then the SDK that
 * produced the data (`telemetry.sdk.language` and `.version`).
 */
export function collectorFromResource(
  resource: CollectorResource | undefined
): CollectorIdentity | undefined {
  if (resource === undefined) return undefined;
  const service = stringAttribute(resource, 'service.name');
  if (
    service !== undefined &&
    /^(otelcol|alloy|grafana-agent)/i.test(service)
  ) {
    return identity(
      service.toLowerCase(),
      stringAttribute(resource, 'service.version') ?? ''
    );
  }
  const language = stringAttribute(resource, 'telemetry.sdk.language');
  if (language === undefined) return undefined;
  return identity(
    `otel-sdk-${language.toLowerCase()}`,
    stringAttribute(resource, 'telemetry.sdk.version') ?? ''
  );
}

/**
 * The User-Agent wins (it names the process that talks to us); the
 * resource attributes fill in when the header is missing or generic.
 */
export function identifyCollector(
  userAgent: string | undefined,
  resource: CollectorResource | undefined
): CollectorIdentity | undefined {
  const fromAgent = collectorFromUserAgent(userAgent);
  if (fromAgent !== undefined && !isGenericHttpClient(fromAgent.kind))
    return fromAgent;
  return collectorFromResource(resource) ?? fromAgent;
}

/** Libraries' default agents say nothing about the collector. */
function isGenericHttpClient(kind: string): boolean {
  return (
    kind === 'go-http-client' ||
    kind === 'node' ||
    kind === 'undici' ||
    kind === 'axios' ||
    kind === 'python-requests' ||
    kind === 'curl'
  );
}

function identity(kind: string, version: string): CollectorIdentity {
  return {
    kind: clean(kind.toLowerCase(), MAX_KIND_CHARS),
    version: clean(version.replace(/^v(?=\d)/, ''), MAX_VERSION_CHARS),
  };
}

/** Lowercase kinds keep `[a-z0-9._+-]`; versions keep `[A-Za-z0-9._+-]`; both are capped. */
function clean(text: string, maxChars: number): string {
  return text
    .replace(/\s+/g, '-')
    .replace(/[^A-Za-z0-9._+-]/g, '')
    .slice(0, maxChars);
}

function stringAttribute(
  resource: CollectorResource,
  key: string
): string | undefined {
  let value: unknown;
  if (Array.isArray(resource)) {
    for (const attribute of resource as readonly {
      readonly key: string;
      readonly value: unknown;
    }[]) {
      if (attribute.key === key) {
        value = attribute.value;
        break;
      }
    }
  } else {
    value = (resource as Readonly<Record<string, unknown>>)[key];
  }
  return typeof value === 'string' && value !== '' ? value : undefined;
}
