/**
 * The state a gateway keeps across configuration generations: the shared
 * store and the event log (chosen at start; changing `state.redis` needs a
 * restart), and the stateful views built once because their memory must
 * survive a reload (the cardinality index, SLO counters, fleet records,
 * Kubernetes events). A reload only reconfigures them.
 */
import { hostname } from 'node:os';
import type { Config, Environment } from '../config/index.js';
import {
  FleetMetrics,
  FleetTracker,
  KubernetesEventService,
  type ClusterRegistry,
} from '../fleet/index.js';
import { CardinalityLimiter, CardinalityQueries } from '../pipeline/index.js';
import { SloEngine, SloFleetView } from '../slo/index.js';
import {
  MemoryEventLog,
  RedisEventLog,
  createStateStore,
  type EventLog,
  type StateStore,
  type StoreHealth,
} from '../state/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';

export interface GatewayStateDeps {
  readonly env: Environment;
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** The configuration in force (it changes on reload). */
  readonly config: () => Config;
  /** The cluster registry in force (rebuilt on reload). */
  readonly registry: () => ClusterRegistry;
}

export interface GatewayState {
  readonly store: StateStore;
  readonly events: KubernetesEventService;
  readonly cardinality: CardinalityLimiter;
  readonly cardinalityQueries: CardinalityQueries;
  readonly slo: SloEngine;
  readonly fleet: FleetTracker;
  /** The shared store's and the event log's last reported health. */
  health(): { store: StoreHealth; eventLog: StoreHealth };
  /** Applies a new configuration's budgets and SLOs. */
  reconfigure(next: Config): void;
  /** Stops the views' timers and closes the store and the event log. */
  close(): Promise<void>;
}

export async function createGatewayState(
  config: Config,
  deps: GatewayStateDeps
): Promise<GatewayState> {
  const { metrics, logger } = deps;
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

  const cardinality = new CardinalityLimiter(config.limits, {
    store,
    registry: metrics.registry,
    onError: (err: unknown) =>
      logger.warn({ err }, 'cardinality state sync failed'),
  });
  cardinality.start();

  // A stable replica id lets a restarted replica reload its own SLO state.
  const slo = new SloEngine(config.slos, {
    store,
    registry: metrics.registry,
    replicaId: deps.env['FLEETGATE_REPLICA_ID'] ?? hostname(),
    onError: (err: unknown) => logger.warn({ err }, 'SLO state sync failed'),
  });
  await slo.start();

  const fleet = new FleetTracker({
    registry: deps.registry,
    thresholds: () => deps.config().fleet,
    store,
    slos: new SloFleetView(slo),
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

  return {
    store,
    events,
    cardinality,
    cardinalityQueries: new CardinalityQueries(cardinality),
    slo,
    fleet,
    health: () => ({ store: storeHealth, eventLog: eventLogHealth }),
    reconfigure: next => {
      cardinality.reconfigure(next.limits);
      slo.reconfigure(next.slos);
    },
    close: async () => {
      await cardinality.stop();
      await fleet.stop();
      await slo.stop();
      await store.close();
      await eventLog.close();
    },
  };
}
