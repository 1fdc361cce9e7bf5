/**
 * The configuration file's schema (zod). Keys and meanings follow README.md's
 * sketch; every default lives here, so an empty file is the embedded default.
 */
import { z } from 'zod';
import { activeConfigChecks } from './config-checks.js';
import { parseDuration } from './duration.js';
import { queueSchema } from './queue-schema.js';
import { logsSchema } from './logs-schema.js';
import { sloFilesSchema, slosSchema } from './slo-schema.js';
import { requestLimitsSchema } from './request-limits-schema.js';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(text)} (want e.g. 30s, 5m, 1h, 30d)`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Node's timers take at most 2^31-1 ms; past that it fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const positiveDuration = duration.refine(
  ms => ms > 0 && ms <= MAX_TIMER_MS,
  'want a duration above 0 and at most 24d (e.g. 10s)'
);

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labelName = z
  .string()
  .regex(LABEL_NAME_RE, 'invalid label name (want [a-zA-Z_][a-zA-Z0-9_]*)');
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const httpUrl = z
  .url()
  .refine(u => /^https?:\/\//.test(u), 'want an http:// or https:// URL');

const listen = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/,
    'want host:port, e.g. 127.0.0.1:9201 or 0.0.0.0:9201'
  );

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;

const relabelRule = z
  .object({
    source_labels: z.array(z.string()).optional(),
    separator: z.string().optional(),
    regex: z.string().optional(),
    modulus: positiveInt.optional(),
    target_label: z.string().optional(),
    replacement: z.string().optional(),
    action: z.enum(RELABEL_ACTIONS).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    // Per rule, so every rule's problems are reported even when other keys are invalid too.
    const problems = activeConfigChecks()?.relabelRule(rule) ?? [];
    for (const problem of problems) {
      const [key, ...rest] = problem.split(': ');
      ctx.addIssue({ code: 'custom', path: [key!], message: rest.join(': ') });
    }
  });

const cluster = z
  .object({
    name: z
      .string()
      .min(1, 'required')
      .regex(/^[^\s]+$/, 'must not contain white space'),
    region: z.string().min(1, 'required'),
    env: z.string().min(1, 'required'),
    team: z.string().default(''),
    token: z
      .string()
      .min(16, 'too short: a token needs at least 16 characters')
      .optional(),
    tokenSha256: z
      .string()
      .regex(
        /^[0-9a-fA-F]{64}$/,
        'want 64 hex digits (the sha256 of the token)'
      )
      .optional(),
    /** Extra constant labels stamped on this cluster's data. */
    labels: z.record(labelName, z.string()).default({}),
    /** Relabel rules for this cluster only, after the global ones. */
    relabel_configs: z.array(relabelRule).default([]),
  })
  .strict()
  .refine(c => !(c.token !== undefined && c.tokenSha256 !== undefined), {
    message: 'set token or tokenSha256, not both',
  });

const DEFAULT_ALIASES = {
  cluster: [
    'cluster_name',
    'k8s_cluster',
    'kubernetes_cluster',
    'k8s_cluster_name',
    'k8s.cluster.name',
  ],
  region: [
    'cluster_region',
    'k8s_region',
    'cloud_region',
    'cloud.region',
    'topology_kubernetes_io_region',
  ],
  env: [
    'environment',
    'cluster_env',
    'deployment_environment',
    'deployment.environment',
    'deployment.environment.name',
  ],
  team: ['owner', 'cluster_team'],
};

const normalize = z
  .object({
    aliases: z
      .object({
        cluster: z.array(z.string().min(1)).default(DEFAULT_ALIASES.cluster),
        region: z.array(z.string().min(1)).default(DEFAULT_ALIASES.region),
        env: z.array(z.string().min(1)).default(DEFAULT_ALIASES.env),
        team: z.array(z.string().min(1)).default(DEFAULT_ALIASES.team),
      })
      .strict()
      .prefault({}),
    /**
     * OTLP resource attributes copied onto every series (sanitized to label
     * names) instead of living only on target_info; the cluster identity ones
     * are then folded into the canonical labels. The Prometheus OTLP guide's
     * list, less service.* (those become job and instance).
     */
    promote_resource_attributes: z
      .array(z.string().min(1))
      .default([
        'k8s.cluster.name',
        'cloud.region',
        'cloud.availability_zone',
        'deployment.environment',
        'deployment.environment.name',
        'k8s.namespace.name',
        'k8s.pod.name',
        'k8s.container.name',
        'k8s.deployment.name',
        'k8s.statefulset.name',
        'k8s.daemonset.name',
        'k8s.replicaset.name',
        'k8s.job.name',
        'k8s.cronjob.name',
        'container.name',
      ]),
    /** Cluster label value used for anonymous data that names no cluster. */
    unknown_cluster: z.string().min(1).default('unknown'),
  })
  .strict()
  .prefault({});

const limitSet = z
  .object({
    max_series_per_cluster: nonNegativeInt.optional(),
    max_series_per_metric: nonNegativeInt.optional(),
    max_series_per_metric_fleet: nonNegativeInt.optional(),
    max_label_names_per_series: nonNegativeInt.optional(),
    max_label_name_length: nonNegativeInt.optional(),
    max_label_value_length: nonNegativeInt.optional(),
    ingestion_rate: nonNegativeInt.optional(),
    ingestion_burst: nonNegativeInt.optional(),
    active_window: duration.optional(),
  })
  .strict();

const limits = z
  .object({
    max_series_per_cluster: nonNegativeInt.default(500_000),
    max_series_per_metric: nonNegativeInt.default(50_000),
    max_series_per_metric_fleet: nonNegativeInt.default(0),
    max_label_names_per_series: nonNegativeInt.default(30),
    max_label_name_length: nonNegativeInt.default(1024),
    max_label_value_length: nonNegativeInt.default(2048),
    ingestion_rate: nonNegativeInt.default(200_000),
    ingestion_burst: nonNegativeInt.default(400_000),
    active_window: duration.default(20 * 60_000),
    per_cluster: z.record(z.string(), limitSet).default({}),
  })
  .strict()
  .prefault({});

const fleet = z
  .object({
    stale_after: duration.default(5 * 60_000),
    down_after: duration.default(15 * 60_000),
    max_clock_skew: duration.default(5 * 60_000),
  })
  .strict()
  .prefault({});

const remoteWriteTarget = z
  .object({
    url: httpUrl,
    name: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    bearer_token: z.string().optional(),
    basic_auth: z
      .object({ username: z.string(), password: z.string() })
      .strict()
      .optional(),
    timeout: duration.default(30_000),
    /** Parallel senders; series are sharded by hash so each keeps its order. */
    shards: positiveInt.max(256).default(8),
    max_samples_per_send: positiveInt.default(5000),
    /** Samples buffered for this downstream before ingest is told to back off. */
    capacity: positiveInt.default(500_000),
    batch_send_deadline: duration.default(5000),
    min_backoff: duration.default(30),
    max_backoff: duration.default(5000),
  })
  .strict();

const logTarget = z
  .object({
    url: httpUrl,
    name: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    tenant: z.string().optional(),
    timeout: duration.default(30_000),
  })
  .strict();

const forward = z
  .object({
    remote_write: z.array(remoteWriteTarget).default([]),
    loki: z.array(logTarget).default([]),
    otlp: z.array(logTarget).default([]),
    queue_dir: z.string().default('./data/queue'),
    /** The forward queue: durable on disk by default (see queue-schema.ts). */
    queue: queueSchema,
  })
  .strict()
  .prefault({});

const server = z
  .object({
    listen: listen.default('127.0.0.1:9201'),
    max_body_bytes: positiveInt.default(32 * 1024 * 1024),
    max_decompressed_bytes: positiveInt.default(64 * 1024 * 1024),
    /** Status for a retryable refusal of remote write: 503 (default) or 429. */
    remote_write_overload_status: z
      .union([z.literal(503), z.literal(429)])
      .default(503),
    shutdown_timeout: duration.default(30_000),
    // Connection bounds (issue #11.3); docs/connections.md says why each default is what it is.
    /** Open connections in all; past it a new one is closed at once. 0: no cap. */
    max_connections: nonNegativeInt.default(4096),
    /** Open connections from one remote address. 0: no cap (behind a proxy that hides senders). */
    max_connections_per_source: nonNegativeInt.default(512),
    /** Time from accepting a connection (or from a request's first byte) to the end of its headers. */
    headers_timeout: positiveDuration.default(10_000),
    /** Time every request body gets; `min_body_rate` adds to it as bytes arrive. */
    body_timeout: positiveDuration.default(10_000),
    /** Bytes per second that buy a body one more second past `body_timeout`. */
    min_body_rate: positiveInt.default(8192),
    /** A keep-alive connection with no request for this long is closed. */
    idle_timeout: positiveDuration.default(65_000),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    server,
    /** Decode-time caps on one write request (see request-limits-schema.ts). */
    request_limits: requestLimitsSchema,
    clusters: z.array(cluster).default([]),
    normalize,
    relabel_configs: z.array(relabelRule).default([]),
    limits,
    fleet,
    slos: slosSchema,
    /** YAML files holding more SLOs (`slos: [...]`), relative to the config file. */
    slo_files: sloFilesSchema,
    forward,
    /** Log ingestion: Loki stream labels, log rate limits, log forwarding (see logs-schema.ts). */
    logs: logsSchema,
    alerting: z
      .object({
        alertmanagers: z.array(httpUrl).default([]),
        resend_interval: duration.default(60_000),
        /** Runbook link template of the gateway's alerts and of `fleetgate slo rules`: {alert}, {slo}, {service}. */
        runbook_url: z
          .string()
          .regex(
            /^https?:\/\/\S+$/,
            'want an http(s) URL; {alert}, {slo} and {service} are replaced'
          )
          .optional(),
      })
      .strict()
      .prefault({}),
    state: z
      .object({
        redis: z
          .string()
          .regex(/^rediss?:\/\//, 'want redis://host:port/db')
          .optional(),
        key_prefix: z.string().default('fleetgate'),
      })
      .strict()
      .prefault({}),
    ha: z
      .object({
        replica_label: z.string().default('__replica__'),
        cluster_label: z.string().default('cluster'),
        failover_timeout: duration.default(30_000),
        enabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.clusters.forEach((c, i) => {
      const first = seen.get(c.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', i, 'name'],
          message: `duplicate cluster name ${JSON.stringify(c.name)} (also clusters[${first}])`,
        });
      } else seen.set(c.name, i);
    });
    const names = new Set<string>();
    config.slos.forEach((s, i) => {
      if (names.has(s.name))
        ctx.addIssue({
          code: 'custom',
          path: ['slos', i, 'name'],
          message: `duplicate SLO name ${JSON.stringify(s.name)}`,
        });
      names.add(s.name);
    });
    for (const name of Object.keys(config.limits.per_cluster)) {
      if (!seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['limits', 'per_cluster', name],
          message: `unknown cluster ${JSON.stringify(name)}`,
        });
      }
    }
  });

export type Config = z.output<typeof configSchema>;
export type ClusterConfig = Config['clusters'][number];
export type RelabelRuleConfig = Config['relabel_configs'][number];
export type SloConfig = Config['slos'][number];
export type RemoteWriteTargetConfig = Config['forward']['remote_write'][number];
export type LimitsConfig = Config['limits'];
