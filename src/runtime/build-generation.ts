/**
 * One configuration generation: everything built from one config and
 * swapped whole on reload (the cluster registry, the metrics pipeline, the
 * identifier, the OTLP converter, the logs service and the forwarders).
 * A request keeps the generation it started with.
 */
import type { IngestRuntime } from '../api/index.js';
import type { Config } from '../config/index.js';
import {
  ClusterRegistry,
  LogBatchEventsObserver,
  LogBatchFleetObserver,
  MetricsBatchFleetObserver,
} from '../fleet/index.js';
import {
  OtlpMetricsConverter,
  type DeltaToCumulative,
} from '../ingest/index.js';
import {
  Identifier,
  LogsIngestService,
  MetricsIngestService,
  buildMetricsPipeline,
} from '../pipeline/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';
import type { Forwarding } from './build-forwarding.js';
import type { GatewayState } from './gateway-state.js';

export interface Generation {
  readonly config: Config;
  readonly registry: ClusterRegistry;
  readonly forwarding: Forwarding;
  readonly runtime: IngestRuntime;
  readonly logs: LogsIngestService;
}

export interface GenerationParts {
  readonly state: GatewayState;
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** Survives reloads: delta sums keep accumulating across a config change. */
  readonly deltaState: DeltaToCumulative;
  /** The listen host (a loopback listener trusts loopback senders' labels). */
  readonly host: string;
}

export function buildGeneration(
  config: Config,
  forwarding: Forwarding,
  parts: GenerationParts
): Generation {
  const { state, metrics, logger } = parts;
  const registry = new ClusterRegistry(config.clusters);
  const runtime: IngestRuntime = {
    config,
    registry,
    identifier: new Identifier(registry, parts.host),
    otlpConverter: new OtlpMetricsConverter({
      promoteResourceAttributes: config.normalize.promote_resource_attributes,
      deltaState: parts.deltaState,
    }),
    metrics: new MetricsIngestService({
      pipeline: buildMetricsPipeline(config, {
        registry,
        store: state.store,
        metricsRegistry: metrics.registry,
        cardinality: state.cardinality,
      }),
      forwarder: forwarding.fanout,
      observers: [
        ...(config.slos.length > 0 ? [state.slo] : []),
        new MetricsBatchFleetObserver(
          state.fleet,
          config.normalize.unknown_cluster
        ),
      ],
      metrics,
      onObserverError: (err, observer) =>
        logger.warn({ err, observer }, 'metrics observer failed'),
    }),
  };
  const logs = new LogsIngestService({
    registry,
    normalize: {
      aliases: config.normalize.aliases,
      unknownCluster: config.normalize.unknown_cluster,
    },
    logs: config.logs,
    store: state.store,
    metricsRegistry: metrics.registry,
    forwarder: forwarding.logs,
    observers: [
      new LogBatchEventsObserver(state.events, state.fleet),
      new LogBatchFleetObserver(state.fleet),
    ],
    onObserverError: (err, observer) =>
      logger.warn({ err, observer }, 'log observer failed'),
  });
  return { config, registry, forwarding, runtime, logs };
}
