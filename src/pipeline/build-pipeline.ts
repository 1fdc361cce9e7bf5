/**
 * The metrics pipeline's stage order, as data. Each entry builds its stage
 * from one configuration, or returns undefined when that configuration
 * leaves the stage nothing to do (so an idle stage costs no call per
 * request). The order is a decision:
 *
 * - normalize first: every later stage reads the canonical labels;
 * - HA dedup before anything counts, so a follower's duplicates cost no
 *   rate or series budget;
 * - relabel before the limits, so budgets apply to what is forwarded;
 * - the ingestion rate before the cardinality stage, so a refused request
 *   adds no series to the active-series index;
 * - label limits before cardinality, so a series dropped for its labels
 *   takes no budget;
 * - cardinality last: it admits what lands.
 *
 * The SLO, fleet and events taps are no stages: they observe after the
 * acknowledgement (batch-observer.ts).
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { ClusterRegistry } from '../fleet/index.js';
import { HaDeduplicator, type ReplicaElectionStore } from './ha/index.js';
import { LabelLimits } from './limit/index.js';
import { NormalizeLabels } from './normalize-labels.js';
import { Pipeline } from './pipeline.js';
import { IngestionRateLimiter, type TokenBucketStore } from './rate/index.js';
import { Relabel } from './relabel.js';
import type { Stage } from './stage.js';

/** What the stages of one configuration are built from. */
export interface PipelineParts {
  readonly registry: ClusterRegistry;
  /** HA elections and token buckets (the StateStore satisfies it). */
  readonly store: ReplicaElectionStore & TokenBucketStore;
  /** Where stage metrics live (SelfMetrics.registry). */
  readonly metricsRegistry: Registry;
  /** Long-lived (its active-series index survives reloads), so built by the caller. */
  readonly cardinality: Stage;
}

export interface StageSpec {
  /** The stage's own `name`. */
  readonly name: string;
  build(config: Config, parts: PipelineParts): Stage | undefined;
}

export const METRICS_STAGE_ORDER: readonly StageSpec[] = [
  {
    name: 'normalize',
    build: (c, parts) =>
      new NormalizeLabels(parts.registry, {
        aliases: c.normalize.aliases,
        unknownCluster: c.normalize.unknown_cluster,
      }),
  },
  {
    name: 'ha_dedup',
    build: (c, parts) => {
      const ha = new HaDeduplicator(c.ha, parts.store, parts.metricsRegistry);
      return ha.isEnabled ? ha : undefined;
    },
  },
  {
    name: 'relabel',
    build: c => {
      const relabel = new Relabel(
        c.relabel_configs,
        new Map(
          c.clusters
            .filter(cluster => cluster.relabel_configs.length > 0)
            .map(cluster => [cluster.name, cluster.relabel_configs])
        )
      );
      return relabel.isEmpty ? undefined : relabel;
    },
  },
  {
    name: 'ingestion_rate',
    build: (c, parts) => {
      const rate = new IngestionRateLimiter(
        c.limits,
        parts.store,
        parts.metricsRegistry
      );
      return rate.isUnlimited ? undefined : rate;
    },
  },
  {
    name: 'label_limits',
    build: c => {
      const limits = new LabelLimits(c.limits);
      return limits.isUnlimited ? undefined : limits;
    },
  },
  { name: 'cardinality', build: (_c, parts) => parts.cardinality },
];

/** The metrics pipeline of one configuration, in METRICS_STAGE_ORDER. */
export function buildMetricsPipeline(
  config: Config,
  parts: PipelineParts
): Pipeline {
  const stages: Stage[] = [];
  for (const spec of METRICS_STAGE_ORDER) {
    const stage = spec.build(config, parts);
    if (stage !== undefined) stages.push(stage);
  }
  return new Pipeline(stages);
}
