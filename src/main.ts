/**
 * Composition root: config → registry → pipeline → forwarders → HTTP server.
 * Owns the process-level lifecycle: reload (SIGHUP, POST /-/reload) swaps a
 * whole runtime built from the new config, or keeps the old one when the new
 * config is bad; SIGTERM drains (stop accepting, finish in-flight requests,
 * flush the forward queues).
 */
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import {
  createApp,
  createHttpServer,
  type IngestRuntime,
  type Readiness,
} from './api/index.js';
import { loadConfig, type Config, type Environment } from './config/index.js';
import { CONFIG_CHECKS } from './config-checks.js';
import { ClusterRegistry } from './fleet/index.js';
import {
  FleetMetrics,
  FleetTracker,
  LogBatchFleetObserver,
} from './fleet/index.js';
import {
  KubernetesEventService,
  LogBatchEventsObserver,
} from './fleet/index.js';
import { LogForwardFanout } from './forward/index.js';
import { LogsIngestService } from './pipeline/index.js';
import { SloEngine, SloFleetView } from './slo/index.js';
import {
  AlertNotifier,
  FleetAlertSource,
  SloAlertSource,
} from './alerting/index.js';
import { ForwardFanout, readFleetgateVersion } from './forward/index.js';
import { DiskQueuePool } from './forward/index.js';
import { DeltaToCumulative, OtlpMetricsConverter } from './ingest/index.js';
import {
  CardinalityLimiter,
  CardinalityQueries,
  HaDeduplicator,
  LabelLimits,
  Identifier,
  IngestionRateLimiter,
  NormalizeLabels,
  Pipeline,
  Relabel,
  type Stage,
} from './pipeline/index.js';
import {
  MemoryEventLog,
  RedisEventLog,
  createStateStore,
  type EventLog,
  type StoreHealth,
} from './state/index.js';
import { createLogger, SelfMetrics, type Logger } from './telemetry/index.js';

export interface GatewayOptions {
  /** Config file; undefined means the embedded default. */
  configPath?: string | undefined;
  env?: Environment;
  logger?: Logger;
  /** Overrides server.listen (tests use port 0). */
  listen?: string;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly metrics: SelfMetrics;
  config(): Config;
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Splits "host:port" (IPv6 in brackets). */
export function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return {
    host: listen.slice(0, at).replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(listen.slice(at + 1)),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function startGateway(
  options: GatewayOptions = {}
): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  const metrics = new SelfMetrics({ version: readFleetgateVersion() });
  let config = await loadConfig(options.configPath, env, CONFIG_CHECKS);
  if (options.listen !== undefined)
    config = {
      ...config,
      server: { ...config.server, listen: options.listen },
    };
  const { host, port } = splitListen(config.server.listen);

  // Survives reloads: delta sums keep accumulating across a config change.
  const deltaState = new DeltaToCumulative();

  // Shared state is chosen at start; changing state.redis needs a restart.
  let storeHealth: StoreHealth = { degraded: false };
  const store = createStateStore({
    keyPrefix: config.state.key_prefix,
    ...(config.state.redis === undefined
      ? {}
      : { redisUrl: config.state.redis }),
    onHealthChange: health => {
      storeHealth = health;
      metrics.stateDegraded.set(health.degraded ? 1 : 0);
      if (health.degraded) {
        logger.warn(
          { reason: health.reason },
          'shared state unreachable: continuing on local state'
        );
        return;
      }
      logger.info('shared state reachable again');
      // A Redis that came back empty must learn this replica's active series again, or other
      // replicas would admit past the shared budgets until each series is republished on its own.
      cardinality.republishAll().then(
        count =>
          logger.info(
            { series: count },
            'republished active series to shared state'
          ),
        (err: unknown) =>
          logger.warn({ err }, 'cannot republish active series to shared state')
      );
    },
  });

  // Kubernetes events: a capped log per cluster, shared through Redis when configured.
  let eventLogHealth: StoreHealth = { degraded: false };
  const eventLog: EventLog =
    config.state.redis === undefined
      ? new MemoryEventLog()
      : new RedisEventLog({
          url: config.state.redis,
          keyPrefix: config.state.key_prefix,
          onHealthChange: health => {
            eventLogHealth = health;
          },
        });
  const events = new KubernetesEventService({
    store: eventLog,
    registry: metrics.registry,
  });

  // Built once: its index of active series must survive reloads; reload only reconfigures its budgets.
  const cardinality = new CardinalityLimiter(config.limits, {
    store,
    registry: metrics.registry,
    onError: (err: unknown) =>
      logger.warn({ err }, 'cardinality state sync failed'),
  });
  cardinality.start();
  const cardinalityQueries = new CardinalityQueries(cardinality);

  // SLOs computed on ingest. A stable replica id lets a restarted replica reload its own state.
  const slo = new SloEngine(config.slos, {
    store,
    registry: metrics.registry,
    replicaId: env['FLEETGATE_REPLICA_ID'] ?? hostname(),
    onError: (err: unknown) => logger.warn({ err }, 'SLO state sync failed'),
  });
  await slo.start();
  const sloFleetView = new SloFleetView(slo);

  let registry = new ClusterRegistry(config.clusters);
  const fleet = new FleetTracker({
    registry: () => registry,
    thresholds: () => config.fleet,
    store,
    slos: sloFleetView,
    warnings: {
      // The fleet view wants counts by reason; the event service keeps the top reasons and the rest.
      recentWarnings: (cluster: string, sinceMs: number) => {
        const recent = events.recentWarnings(cluster, sinceMs);
        const counts: Record<string, number> = {};
        for (const { reason, count } of recent.reasons) counts[reason] = count;
        if (recent.other > 0) counts['other'] = recent.other;
        return counts;
      },
    },
    cardinality: {
      activeSeries: cluster => cardinality.index.get(cluster)?.size ?? 0,
      seriesBudget: cluster =>
        cardinality.limitsOf(cluster).maxSeriesPerCluster,
    },
    onError: (err: unknown) =>
      logger.warn({ err }, 'fleet health source failed'),
  });
  fleet.start();
  new FleetMetrics(metrics.registry, fleet);

  /** The forwarders of one config and the disk queues they own. */
  interface Forwarding {
    readonly fanout: ForwardFanout;
    readonly logs: LogForwardFanout;
    readonly pool: DiskQueuePool | undefined;
  }

  const buildForwarding = (c: Config): Forwarding => {
    const queue = c.forward.queue;
    const pool =
      queue.type === 'disk' &&
      c.forward.remote_write.length +
        c.forward.loki.length +
        c.forward.otlp.length >
        0
        ? new DiskQueuePool({
            queueDir: c.forward.queue_dir,
            fsync: queue.fsync,
            fsyncIntervalMs: queue.fsync_interval,
            maxBytes: queue.max_bytes,
            maxAgeMs: queue.max_age,
            segmentBytes: queue.segment_bytes,
            registry: metrics.registry,
            log: (level, message, fields) => logger[level](fields, message),
            onDropped: (downstream, drop) => {
              metrics.forwardQueueSamples.dec({ downstream }, drop.points);
              metrics.forwardFailedSamples.inc(
                { downstream, reason: drop.reason },
                drop.points
              );
            },
          })
        : undefined;
    const fanout = new ForwardFanout(c.forward.remote_write, {
      metrics,
      logger,
      ...(pool === undefined ? {} : { createQueue: pool.createQueue }),
    });
    fanout.start();
    const logs = new LogForwardFanout(c.forward, c.logs, {
      logger,
      metrics,
      // Log queues get their own directories: `logs-loki-<name>`, `logs-otlp-<name>`.
      ...(pool === undefined
        ? {}
        : {
            createQueue: (kind, downstream, capacity) =>
              pool.createQueue(0, capacity, {
                downstream: `logs-${kind}-${downstream}`,
                shards: 1,
              }),
          }),
    });
    logs.start();
    return { fanout, logs, pool };
  };

  /** Stops a generation: memory queues drain for up to `drainMs`; disk queues keep what is unsent for the next start. */
  const closeForwarding = async (
    forwarding: Forwarding,
    drainMs: number
  ): Promise<void> => {
    const drain =
      forwarding.pool === undefined ? drainMs : Math.min(drainMs, 5000);
    await Promise.all([
      forwarding.fanout.stop(drain),
      forwarding.logs.stop(drain),
    ]);
    await forwarding.pool?.close();
  };

  let logsService: LogsIngestService;
  const buildLogsService = (
    c: Config,
    forwarder: LogForwardFanout
  ): LogsIngestService =>
    new LogsIngestService({
      registry,
      normalize: {
        aliases: c.normalize.aliases,
        unknownCluster: c.normalize.unknown_cluster,
      },
      logs: c.logs,
      store,
      metricsRegistry: metrics.registry,
      forwarder,
      observers: [
        new LogBatchEventsObserver(events, fleet),
        new LogBatchFleetObserver(fleet),
      ],
      onObserverError: (err, observer) =>
        logger.warn({ err, observer }, 'log observer failed'),
    });

  const buildRuntime = (c: Config, forwarder: ForwardFanout): IngestRuntime => {
    registry = new ClusterRegistry(c.clusters);
    // Order: HA dedup before anything counts (a follower's duplicates cost no budget);
    // the rate limit before the cardinality stage, so a refused request adds no series.
    const stages: Stage[] = [
      new NormalizeLabels(registry, {
        aliases: c.normalize.aliases,
        unknownCluster: c.normalize.unknown_cluster,
      }),
    ];
    const ha = new HaDeduplicator(c.ha, store, metrics.registry);
    if (ha.isEnabled) stages.push(ha);
    const relabel = new Relabel(
      c.relabel_configs,
      new Map(
        c.clusters
          .filter(cl => cl.relabel_configs.length > 0)
          .map(cl => [cl.name, cl.relabel_configs])
      )
    );
    if (!relabel.isEmpty) stages.push(relabel);
    const rate = new IngestionRateLimiter(c.limits, store, metrics.registry);
    if (!rate.isUnlimited) stages.push(rate);
    const labelLimits = new LabelLimits(c.limits);
    if (!labelLimits.isUnlimited) stages.push(labelLimits);
    stages.push(cardinality);
    // A read-only tap: it sees only what landed.
    if (c.slos.length > 0) stages.push(slo);
    return {
      config: c,
      registry,
      identifier: new Identifier(registry, host),
      pipeline: new Pipeline(stages),
      otlpConverter: new OtlpMetricsConverter({
        promoteResourceAttributes: c.normalize.promote_resource_attributes,
        deltaState,
      }),
      forwarder,
    };
  };

  let forwarding = buildForwarding(config);
  let runtime = buildRuntime(config, forwarding.fanout);
  logsService = buildLogsService(config, forwarding.logs);
  let draining = false;

  const reload = async (): Promise<void> => {
    try {
      let next = await loadConfig(options.configPath, env, CONFIG_CHECKS);
      next = {
        ...next,
        server: { ...next.server, listen: config.server.listen },
      };
      let nextForwarding = forwarding;
      if (!sameJson(next.forward, config.forward)) {
        const old = forwarding;
        if (old.pool !== undefined || next.forward.queue.type === 'disk') {
          // A queue directory is open once at a time: close the old queues (their data stays on disk
          // and is sent by the new ones) before the new forwarders reopen them.
          await closeForwarding(old, 0);
          try {
            nextForwarding = buildForwarding(next);
          } catch (err) {
            forwarding = buildForwarding(config);
            runtime = buildRuntime(config, forwarding.fanout);
            logsService = buildLogsService(config, forwarding.logs);
            throw err;
          }
        } else {
          nextForwarding = buildForwarding(next);
          // Memory queues drain in the background; new writes go to the new downstreams.
          void closeForwarding(old, config.server.shutdown_timeout).catch(
            (err: unknown) => {
              logger.error(
                { err },
                'cannot drain the previous forwarders after reload'
              );
            }
          );
        }
      }
      cardinality.reconfigure(next.limits);
      slo.reconfigure(next.slos);
      alerts.reconfigure(next.alerting);
      runtime = buildRuntime(next, nextForwarding.fanout);
      logsService = buildLogsService(next, nextForwarding.logs);
      forwarding = nextForwarding;
      config = next;
      http.applySettings(next.server);
      metrics.configReloads.inc({ result: 'success' });
      metrics.configLastReloadSuccess.set(1);
      metrics.configLastReloadTimestamp.set(Date.now() / 1000);
      logger.info({ clusters: next.clusters.length }, 'configuration reloaded');
    } catch (err) {
      metrics.configReloads.inc({ result: 'failure' });
      metrics.configLastReloadSuccess.set(0);
      logger.error(
        { err: (err as Error).message },
        'configuration reload failed; keeping the previous configuration'
      );
      throw err;
    }
  };

  const readiness = (): Readiness => {
    if (draining) return { ready: false, reasons: ['shutting down'] };
    // Degraded shared state never stops ingestion, so the gateway stays ready and says why it is degraded.
    if (eventLogHealth.degraded && !storeHealth.degraded) {
      return {
        ready: true,
        reasons: [
          `degraded: event log unavailable (${eventLogHealth.reason ?? 'unknown'})`,
        ],
      };
    }
    if (storeHealth.degraded)
      return {
        ready: true,
        reasons: [
          `degraded: shared state unavailable (${storeHealth.reason ?? 'unknown'})`,
        ],
      };
    return { ready: true, reasons: [] };
  };

  const app = createApp({
    runtime: () => runtime,
    metrics,
    logger,
    readiness,
    reload,
    cardinality: () => cardinalityQueries,
    fleet,
    logs: () => logsService,
    events,
    slos: () => slo,
  });
  const http = createHttpServer(app, {
    settings: config.server,
    metrics,
    logger: logger.child({ component: 'http' }),
  });
  const { server } = http;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':')
    ? `[${host}]`
    : host === '0.0.0.0'
      ? '127.0.0.1'
      : host;
  const url = `http://${urlHost}:${bound}`;
  logger.info(
    {
      listen: `${host}:${bound}`,
      clusters: config.clusters.length,
      downstreams: config.forward.remote_write.length,
    },
    'fleetgate listening'
  );

  // The gateway's own SLO and fleet alerts, straight to Alertmanager (re-sent while firing, then resolved).
  const alerts = new AlertNotifier(config.alerting, {
    sources: [
      // The registry is replaced on reload: look the cluster up in the current one.
      new SloAlertSource(
        slo,
        { byName: name => registry.byName(name) },
        Date.now,
        () => config.alerting.runbook_url
      ),
      new FleetAlertSource(fleet, Date.now, () => config.alerting.runbook_url),
    ],
    registry: metrics.registry,
    logger: logger.child({ component: 'alerting' }),
    generatorURL: url,
  });
  alerts.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      const timeout = config.server.shutdown_timeout;
      const stopped = new Promise<void>(resolve =>
        server.close(() => resolve())
      );
      server.closeIdleConnections();
      const forceAfter = setTimeout(
        () => server.closeAllConnections(),
        timeout
      );
      await stopped;
      clearTimeout(forceAfter);
      await closeForwarding(forwarding, timeout);
      await cardinality.stop();
      await alerts.stop();
      await fleet.stop();
      await slo.stop();
      await store.close();
      await eventLog.close();
      logger.info('fleetgate stopped');
    })();
    return closing;
  };

  return { url, port: bound, metrics, config: () => config, reload, close };
}
