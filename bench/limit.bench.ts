/**
 * The limit stages over realistic batches: 2000 Kubernetes series per
 * request (bench/k8s-corpus.ts, with the canonical labels normalize adds),
 * one sample each, so samples per second = hz × 2000.
 *
 * Run: npx vitest bench --run --project unit bench/limit.bench.ts
 */
import { bench, describe } from 'vitest';
import { defaultConfig, type LimitsConfig } from '../src/config/index.js';
import { ClusterRegistry } from '../src/fleet/index.js';
import {
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../src/model/index.js';
import {
  StageTally,
  type Identity,
  type StageContext,
} from '../src/pipeline/index.js';
import {
  CardinalityLimiter,
  LabelLimits,
  type CardinalitySketchAdd,
  type CardinalityStore,
} from '../src/pipeline/limit/index.js';
import {
  BENCH_CLUSTERS,
  CLUSTER_ALIAS_LABEL,
  generateClusterSeries,
} from './k8s-corpus.js';
import type { ReplicaSnapshot } from '../src/state/index.js';

const SERIES_PER_REQUEST = 2000;
const SERIES_PER_CLUSTER = 20_000;
const CLUSTERS = 4;

const registry = new ClusterRegistry(
  BENCH_CLUSTERS.map(c => ({ ...c, labels: {} }))
);

interface Request {
  batch: SeriesBatch;
  identity: Identity;
}

/** Batches of the corpus as normalize leaves them; reused across iterations (stages only mark drops). */
function buildRequests(): Request[] {
  const requests: Request[] = [];
  for (let c = 0; c < CLUSTERS; c++) {
    const cluster = registry.byName(BENCH_CLUSTERS[c]!.name)!;
    const identity: Identity = { kind: 'cluster', cluster };
    let batch = new SeriesBatch();
    for (const s of generateClusterSeries(c, SERIES_PER_CLUSTER)) {
      const record = labelsToRecord(s.labels);
      // A throwaway record of one series' labels, not a map in use.
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete record[CLUSTER_ALIAS_LABEL];
      const labels = labelsFromRecord({
        ...record,
        cluster: cluster.name,
        region: cluster.region,
        env: cluster.env,
        team: cluster.team,
      });
      batch.addSeries(labels);
      batch.addSample(s.value, 1_700_000_000_000);
      if (batch.seriesCount === SERIES_PER_REQUEST) {
        requests.push({ batch, identity });
        batch = new SeriesBatch();
      }
    }
  }
  return requests;
}

/** A shared store that accepts everything and answers zero (measures the limiter's side only). */
class NullSharedStore implements CardinalityStore {
  readonly isShared = true;
  addActiveSeries(_adds: readonly CardinalitySketchAdd[]): Promise<void> {
    return Promise.resolve();
  }
  countActiveSeries(): Promise<number> {
    return Promise.resolve(0);
  }
  publishSnapshot(): Promise<void> {
    return Promise.resolve();
  }
  readSnapshots(): Promise<ReplicaSnapshot[]> {
    return Promise.resolve([]);
  }
}

function limits(overrides: Partial<LimitsConfig> = {}): LimitsConfig {
  return {
    ...defaultConfig().limits,
    max_series_per_cluster: 1_000_000,
    max_series_per_metric: 500_000,
    ...overrides,
  };
}

function contextOf(request: Request): StageContext {
  return {
    identity: request.identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally: new StageTally(),
  };
}

const requests = buildRequests();
const clock = { now: 1_700_000_000_000 };
const now = (): number => clock.now;

/** Runs every request through a stage once (warms the index). */
function warm(stage: {
  process(batch: SeriesBatch, context: StageContext): void;
}): void {
  for (const request of requests)
    stage.process(request.batch, contextOf(request));
}

function roundRobin(stage: {
  process(batch: SeriesBatch, context: StageContext): void;
}): () => void {
  let next = 0;
  return () => {
    const request = requests[next]!;
    next = (next + 1) % requests.length;
    request.batch.dropped.fill(0);
    clock.now += 10;
    stage.process(request.batch, contextOf(request));
  };
}

describe(`limit stages, ${SERIES_PER_REQUEST} series per request`, () => {
  const steady = new CardinalityLimiter(limits(), { now });
  warm(steady);
  bench('CardinalityLimiter: active series (steady state)', roundRobin(steady));

  const untracked = new CardinalityLimiter(limits(), {
    now,
    trackLabels: false,
  });
  warm(untracked);
  bench(
    'CardinalityLimiter: active series, no label tracking',
    roundRobin(untracked)
  );

  const shared = new CardinalityLimiter(limits(), {
    now,
    store: new NullSharedStore(),
  });
  warm(shared);
  bench('CardinalityLimiter: active series, shared store', roundRobin(shared));

  let fresh = new CardinalityLimiter(limits(), { now });
  let used = 0;
  bench('CardinalityLimiter: new series admitted', () => {
    // Every request is new to the limiter: a fresh index once all were admitted.
    if (used === requests.length) {
      fresh = new CardinalityLimiter(limits(), { now });
      used = 0;
    }
    const request = requests[used++]!;
    request.batch.dropped.fill(0);
    fresh.process(request.batch, contextOf(request));
  });

  const full = new CardinalityLimiter(limits({ max_series_per_cluster: 10 }), {
    now,
  });
  warm(full);
  bench(
    'CardinalityLimiter: new series over budget (dropped)',
    roundRobin(full)
  );

  bench('LabelLimits', roundRobin(new LabelLimits(limits())));
});
