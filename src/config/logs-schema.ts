/**
 * The `logs:` section of the configuration file (zod): how OTLP logs become
 * Loki streams, how much a cluster may send, and how log forwarding queues
 * and retries. Downstreams themselves stay under `forward.loki` and
 * `forward.otlp` (schema.ts); this section only tunes them. Every default
 * lives here, so an absent section is the embedded default.
 *
 * ```yaml
 * logs:
 *   max_line_bytes: 262144
 *   limits:
 *     ingestion_rate_bytes: 4194304     # per cluster, body bytes/s; 0 = unlimited
 *     ingestion_burst_bytes: 6291456
 *     per_cluster: {prod-eu: {ingestion_rate_bytes: 8388608}}
 *   loki:
 *     stream_labels:                    # Loki label ← attribute keys, first present wins
 *       cluster: [cluster]
 *       namespace: [k8s.namespace.name]
 *     level_label: level                # '' = no level label
 *     line_format: body                 # body | json
 *     structured_metadata: true
 *   forward:
 *     capacity_records: 200000
 *     max_records_per_send: 1000
 *     batch_send_deadline: 1s
 *     min_backoff: 100ms
 *     max_backoff: 10s
 *     otlp_compression: gzip
 * ```
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)} (want e.g. 100ms, 1s, 5m)`,
    });
    return z.NEVER;
  }
  return ms;
});

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why `name` cannot be a Loki stream label, or undefined when it can. */
function lokiLabelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME_RE.test(name))
    return 'invalid Loki label name (want [a-zA-Z_][a-zA-Z0-9_]*)';
  if (name.startsWith('__'))
    return 'names starting with "__" are reserved in Loki';
  return undefined;
}

const lokiLabelName = z.string().superRefine((name, ctx) => {
  const problem = lokiLabelNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/**
 * Default Loki stream labels: the canonical identity, the namespace, the
 * service and (through `level_label`) the level. Nothing per pod, container
 * or uid: those would make a stream per pod restart; they stay in
 * structured metadata. The service label is `service_name`, the name Loki's
 * own OTLP ingestion and Grafana's Logs Drilldown use (Loki 3 would
 * otherwise derive one itself). `k8s.pod.labels.*` is where the collector's
 * k8sattributes processor puts extracted pod labels by default.
 */
export const DEFAULT_LOKI_STREAM_LABELS: Readonly<
  Record<string, readonly string[]>
> = {
  cluster: ['cluster'],
  region: ['region'],
  env: ['env'],
  namespace: ['k8s.namespace.name'],
  service_name: [
    'service.name',
    'k8s.pod.labels.app.kubernetes.io/name',
    'k8s.pod.labels.app',
    'app.kubernetes.io/name',
    'app',
    'k8s.deployment.name',
    'k8s.statefulset.name',
    'k8s.daemonset.name',
    'k8s.cronjob.name',
    'k8s.job.name',
  ],
};

const rateOverride = z
  .object({
    ingestion_rate_bytes: nonNegativeInt.optional(),
    ingestion_burst_bytes: nonNegativeInt.optional(),
  })
  .strict();

export const logsSchema = z
  .object({
    /**
     * Longest body (UTF-8 bytes of its text) accepted. A longer record is
     * refused alone (OTLP partial success), never the request; 256 KiB is
     * Loki's default `max_line_size`.
     */
    max_line_bytes: positiveInt.default(256 * 1024),
    /** Log volume per cluster, in body bytes, like Loki's `ingestion_rate_mb` / `ingestion_burst_size_mb`. */
    limits: z
      .object({
        ingestion_rate_bytes: nonNegativeInt.default(4 * 1024 * 1024),
        ingestion_burst_bytes: nonNegativeInt.default(6 * 1024 * 1024),
        per_cluster: z.record(z.string(), rateOverride).default({}),
      })
      .strict()
      .prefault({}),
    loki: z
      .object({
        /**
         * Stream labels in order: label name → attribute keys looked up in
         * the (normalized) resource, then the record; the first non-empty
         * value wins, and a label with no value is left out. Replaces the
         * default list as a whole.
         */
        stream_labels: z
          // Keys are checked in the refinement below: zod reports a bad record key without its reason.
          .record(z.string(), z.array(z.string().min(1)).min(1))
          .default(
            () =>
              structuredClone(DEFAULT_LOKI_STREAM_LABELS) as Record<
                string,
                string[]
              >
          ),
        /** Label carrying the level from severity_number/severity_text; '' for none. */
        level_label: z.union([lokiLabelName, z.literal('')]).default('level'),
        /**
         * `body`: the line is the body as text, and every other field goes to
         * structured metadata (when enabled); `json`: the line is a JSON
         * object with the body and every other field.
         */
        line_format: z.enum(['body', 'json']).default('body'),
        /** With line_format body: attributes, ids and severity as structured metadata (Loki ≥ 3, schema v13). */
        structured_metadata: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    forward: z
      .object({
        /** Records queued per downstream before senders are told to retry (429). */
        capacity_records: positiveInt.default(200_000),
        max_records_per_send: positiveInt.default(1000),
        /** A partial batch is sent once its oldest record has waited this long. */
        batch_send_deadline: duration.default(1000),
        min_backoff: duration.default(100),
        max_backoff: duration.default(10_000),
        /** Content-Encoding of OTLP/HTTP log pushes (Loki pushes are always snappy). */
        otlp_compression: z.enum(['gzip', 'none']).default('gzip'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((logs, ctx) => {
    for (const name of Object.keys(logs.loki.stream_labels)) {
      const problem = lokiLabelNameProblem(name);
      if (problem !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['loki', 'stream_labels', name],
          message: problem,
        });
    }
    const level = logs.loki.level_label;
    if (level !== '' && Object.hasOwn(logs.loki.stream_labels, level)) {
      ctx.addIssue({
        code: 'custom',
        path: ['loki', 'stream_labels', level],
        message: `${JSON.stringify(level)} is already the level_label`,
      });
    }
    if (logs.forward.max_backoff < logs.forward.min_backoff) {
      ctx.addIssue({
        code: 'custom',
        path: ['forward', 'max_backoff'],
        message: 'must not be below min_backoff',
      });
    }
  })
  .prefault({});

export type LogsConfig = z.output<typeof logsSchema>;
export type LokiMappingConfig = LogsConfig['loki'];
export type LogLimitsConfig = LogsConfig['limits'];
export type LogForwardConfig = LogsConfig['forward'];
