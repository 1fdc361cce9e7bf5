// Over 500 lines: one file for the limiter's budgets, local and shared, because the shared cases reuse the local ones' fixtures.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig, type LimitsConfig } from '../../config/index.js';
import { ClusterRegistry } from '../../fleet/index.js';
import {
  DropReason,
  SeriesBatch,
  labelsFromRecord,
} from '../../model/index.js';
import type { Identity } from '../identify.js';
import { StageTally, type StageContext } from '../stage.js';
import {
  CardinalityLimiter,
  SERIES_LIMIT_CLUSTER_REASON,
  SERIES_LIMIT_METRIC_FLEET_REASON,
  SERIES_LIMIT_METRIC_REASON,
  type CardinalityLimiterOptions,
} from './cardinality-limiter.js';
import type {
  CardinalitySketchAdd,
  CardinalityStore,
} from './cardinality-store.js';
import type { ReplicaSnapshot } from '../../state/snapshot/index.js';

/** In-test shared store: exact sets where Redis keeps HyperLogLogs. */
class FakeStore implements CardinalityStore {
  readonly isShared = true;
  readonly sets = new Map<string, Map<string, number>>();
  readonly snapshots = new Map<
    string,
    { payload: string; publishedAtMs: number; expiresAtMs: number }
  >();
  isFailing = false;

  addActiveSeries(
    adds: readonly CardinalitySketchAdd[],
    nowMs: number
  ): Promise<void> {
    if (this.isFailing)
      return Promise.reject(new Error('redis: connection refused'));
    for (const add of adds) {
      const key = `${add.cluster ?? ''}\x00${add.metric ?? ''}`;
      const set = this.sets.get(key) ?? new Map<string, number>();
      this.sets.set(key, set);
      for (const hash of add.hashes) set.set(hash, nowMs);
    }
    return Promise.resolve();
  }

  countActiveSeries(
    cluster: string | undefined,
    metric: string | undefined,
    windowMs: number,
    nowMs: number
  ): Promise<number> {
    if (this.isFailing)
      return Promise.reject(new Error('redis: connection refused'));
    let count = 0;
    for (const at of this.sets
      .get(`${cluster ?? ''}\x00${metric ?? ''}`)
      ?.values() ?? [])
      if (at > nowMs - windowMs) count++;
    return Promise.resolve(count);
  }

  publishSnapshot(
    _kind: string,
    replicaId: string,
    payload: string,
    ttlMs: number,
    nowMs: number
  ): Promise<void> {
    this.snapshots.set(replicaId, {
      payload,
      publishedAtMs: nowMs,
      expiresAtMs: nowMs + ttlMs,
    });
    return Promise.resolve();
  }

  readSnapshots(_kind: string, nowMs: number): Promise<ReplicaSnapshot[]> {
    const out: ReplicaSnapshot[] = [];
    for (const [replicaId, s] of this.snapshots)
      if (s.expiresAtMs > nowMs) out.push({ replicaId, ...s });
    return Promise.resolve(out);
  }
}

const registry = new ClusterRegistry([
  {
    name: 'prod',
    region: 'eu-west-1',
    env: 'prod',
    team: 'payments',
    token: 'prod-token-0123456789',
    labels: {},
  },
  {
    name: 'dev',
    region: 'us-east-1',
    env: 'dev',
    team: 'data',
    token: 'dev-token-0123456789ab',
    labels: {},
  },
]);
const PROD: Identity = { kind: 'cluster', cluster: registry.byName('prod')! };
const DEV: Identity = { kind: 'cluster', cluster: registry.byName('dev')! };
const ANONYMOUS: Identity = { kind: 'anonymous' };
const WINDOW_MS = 20 * 60_000;

function limitsWith(overrides: Partial<LimitsConfig>): LimitsConfig {
  return {
    ...defaultConfig().limits,
    max_series_per_cluster: 0,
    max_series_per_metric: 0,
    max_series_per_metric_fleet: 0,
    active_window: WINDOW_MS,
    ...overrides,
  };
}

/** A series with canonical labels, as normalize leaves it. */
function series(
  metric: string,
  cluster: string,
  extra: Record<string, string> = {}
): string[] {
  return labelsFromRecord({
    __name__: metric,
    cluster,
    env: 'prod',
    region: 'r',
    team: 't',
    ...extra,
  });
}

interface Run {
  batch: SeriesBatch;
  tally: StageTally;
  /** Indexes of dropped series. */
  dropped: number[];
}

function run(
  limiter: CardinalityLimiter,
  identity: Identity,
  list: string[][]
): Run {
  const batch = new SeriesBatch();
  for (const labels of list) {
    batch.addSeries(labels);
    batch.addSample(1, 1000);
    batch.addSample(2, 2000);
  }
  const tally = new StageTally();
  const context: StageContext = {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally,
  };
  limiter.process(batch, context);
  const dropped: number[] = [];
  for (let s = 0; s < batch.seriesCount; s++)
    if (batch.dropped[s] !== 0) dropped.push(s);
  return { batch, tally, dropped };
}

function pods(
  metric: string,
  cluster: string,
  from: number,
  to: number
): string[][] {
  const out: string[][] = [];
  for (let i = from; i < to; i++)
    out.push(series(metric, cluster, { pod: `pod-${i}` }));
  return out;
}

function newLimiter(
  limits: LimitsConfig,
  options: CardinalityLimiterOptions = {}
): { limiter: CardinalityLimiter; clock: { now: number } } {
  const clock = { now: 1_700_000_000_000 };
  const limiter = new CardinalityLimiter(limits, {
    now: () => clock.now,
    ...options,
  });
  return { limiter, clock };
}

describe('CardinalityLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('process()', () => {
    it.each([
      {
        name: 'per-metric budget',
        limits: { max_series_per_metric: 3 },
        send: [[PROD, pods('http_requests_total', 'prod', 0, 5)]] as const,
        wantDropped: 2,
        reason: SERIES_LIMIT_METRIC_REASON,
        explanation:
          /metric "http_requests_total" in cluster "prod".*3 active series.*max_series_per_metric budget of 3/,
      },
      {
        name: 'per-cluster budget',
        limits: { max_series_per_cluster: 4 },
        send: [
          [PROD, [...pods('a', 'prod', 0, 3), ...pods('b', 'prod', 0, 3)]],
        ] as const,
        wantDropped: 2,
        reason: SERIES_LIMIT_CLUSTER_REASON,
        explanation:
          /metric "b" in cluster "prod".*cluster has 4 active series.*max_series_per_cluster budget of 4/,
      },
      {
        name: 'fleet-wide per-metric budget',
        limits: { max_series_per_metric_fleet: 5 },
        send: [
          [PROD, pods('up', 'prod', 0, 3)],
          [DEV, pods('up', 'dev', 0, 3)],
        ] as const,
        wantDropped: 1,
        reason: SERIES_LIMIT_METRIC_FLEET_REASON,
        explanation:
          /metric "up" from cluster "dev".*fleet has 5 active series.*max_series_per_metric_fleet budget of 5/,
      },
    ])(
      'drops new series over the $name with reason and explanation',
      ({ limits, send, wantDropped, reason, explanation }) => {
        const { limiter } = newLimiter(limitsWith(limits));
        let dropped = 0;
        let last: Run | undefined;
        for (const [identity, list] of send) {
          last = run(
            limiter,
            identity,
            list.map(l => [...l])
          );
          dropped += last.dropped.length;
        }
        expect(dropped).toBe(wantDropped);
        const drops = [...last!.tally.drops.entries()];
        expect(drops).toHaveLength(1);
        const [key, [seriesDropped, points]] = drops[0]!;
        expect(key.split('\x00')[1]).toBe(reason);
        expect(points).toBe(2 * seriesDropped);
        expect(last!.tally.reasonText(reason)).toMatch(explanation);
        for (const s of last!.dropped)
          expect(last!.batch.dropped[s]).toBe(DropReason.CARDINALITY);
      }
    );

    it('admits everything when every budget is 0 (unlimited)', () => {
      const { limiter } = newLimiter(limitsWith({}));
      const result = run(limiter, PROD, pods('up', 'prod', 0, 3000));
      expect(result.dropped).toHaveLength(0);
      expect(limiter.index.get('prod')!.size).toBe(3000);
    });

    it('keeps existing series flowing over budget while new ones are dropped', () => {
      const { limiter } = newLimiter(
        limitsWith({ max_series_per_cluster: 10 })
      );
      expect(
        run(limiter, PROD, pods('up', 'prod', 0, 10)).dropped
      ).toHaveLength(0);
      const mixed = run(limiter, PROD, [
        ...pods('up', 'prod', 0, 10),
        ...pods('up', 'prod', 10, 15),
      ]);
      expect(mixed.dropped).toEqual([10, 11, 12, 13, 14]);
      expect(
        run(limiter, PROD, pods('up', 'prod', 0, 10)).dropped
      ).toHaveLength(0);
    });

    it('frees budget when series stay idle past the active window', () => {
      const { limiter, clock } = newLimiter(
        limitsWith({ max_series_per_cluster: 10 })
      );
      run(limiter, PROD, pods('up', 'prod', 0, 10));
      clock.now += 60_000;
      // Half the series keep reporting.
      run(limiter, PROD, pods('up', 'prod', 0, 5));
      expect(run(limiter, PROD, pods('up', 'prod', 100, 101)).dropped).toEqual([
        0,
      ]);
      clock.now += WINDOW_MS - 30_000;
      run(limiter, PROD, pods('up', 'prod', 0, 5));
      clock.now += 60_000;
      // The other half has been idle longer than the window: the sweep frees their places.
      void limiter.maintain();
      expect(limiter.index.get('prod')!.size).toBe(5);
      expect(
        run(limiter, PROD, pods('up', 'prod', 100, 105)).dropped
      ).toHaveLength(0);
      expect(run(limiter, PROD, pods('up', 'prod', 200, 201)).dropped).toEqual([
        0,
      ]);
    });

    it('judges an idle series that comes back as new', () => {
      const { limiter, clock } = newLimiter(
        limitsWith({ max_series_per_cluster: 1 })
      );
      run(limiter, PROD, pods('up', 'prod', 0, 1));
      clock.now += WINDOW_MS + 2000;
      // No sweep ran: the lookup itself sees the old series expired, removes it, and admits the new one.
      expect(run(limiter, PROD, pods('up', 'prod', 1, 2)).dropped).toHaveLength(
        0
      );
      expect(run(limiter, PROD, pods('up', 'prod', 0, 1)).dropped).toEqual([0]);
    });

    it('applies per-cluster overrides and keeps clusters apart', () => {
      const limits = limitsWith({
        max_series_per_metric: 100,
        per_cluster: { dev: { max_series_per_metric: 2 } },
      });
      const { limiter } = newLimiter(limits);
      expect(run(limiter, DEV, pods('up', 'dev', 0, 5)).dropped).toHaveLength(
        3
      );
      expect(run(limiter, PROD, pods('up', 'prod', 0, 5)).dropped).toHaveLength(
        0
      );
      expect(limiter.limitsOf('dev').maxSeriesPerMetric).toBe(2);
    });

    it('reads the cluster of anonymous data from its labels', () => {
      const { limiter } = newLimiter(limitsWith({ max_series_per_cluster: 2 }));
      const result = run(limiter, ANONYMOUS, [
        ...pods('up', 'a', 0, 3),
        ...pods('up', 'b', 0, 3),
      ]);
      expect(result.dropped).toEqual([2, 5]);
      expect([...result.tally.drops.keys()].sort()).toEqual([
        `a\x00${SERIES_LIMIT_CLUSTER_REASON}`,
        `b\x00${SERIES_LIMIT_CLUSTER_REASON}`,
      ]);
    });

    it('skips series an earlier stage dropped', () => {
      const { limiter } = newLimiter(limitsWith({ max_series_per_cluster: 1 }));
      const batch = new SeriesBatch();
      batch.addSeries(series('up', 'prod', { pod: 'x' }));
      batch.dropped[0] = DropReason.RELABEL;
      batch.addSeries(series('up', 'prod', { pod: 'y' }));
      limiter.process(batch, {
        identity: PROD,
        protocol: 'otlp',
        receivedAtMs: 0,
        tally: new StageTally(),
      });
      expect(batch.dropped[1]).toBe(0);
      expect(limiter.index.get('prod')!.size).toBe(1);
    });

    it('keeps the hash of every live series for later stages', () => {
      const { limiter } = newLimiter(limitsWith({}));
      const a = run(limiter, PROD, pods('up', 'prod', 0, 2));
      run(limiter, PROD, pods('up', 'prod', 1, 2));
      expect(a.batch.seriesCount).toBe(2);
      expect(limiter.hashes[0]).not.toBe(0);
    });
  });

  describe('offenders', () => {
    it('keeps a bounded top-K of the metrics whose series were dropped, and exports it', async () => {
      const metrics = new Registry();
      const { limiter } = newLimiter(
        limitsWith({ max_series_per_cluster: 1 }),
        { topOffenders: 3, registry: metrics }
      );
      run(limiter, PROD, pods('seed', 'prod', 0, 1));
      for (let m = 0; m < 10; m++)
        run(limiter, PROD, pods(`metric_${m}`, 'prod', 0, m + 1));
      const top = limiter.offenders.top('prod');
      expect(top).toHaveLength(3);
      expect(top[0]!.metric).toBe('metric_9');
      expect(top[0]!.dropped).toBeGreaterThanOrEqual(10);
      const text = await metrics.metrics();
      const lines = text
        .split('\n')
        .filter(l =>
          l.startsWith('fleetgate_cardinality_top_offender_dropped_series{')
        );
      expect(lines).toHaveLength(3);
      expect(text).toContain('fleetgate_active_series{cluster="prod"} 1');
      expect(text).toContain(
        'fleetgate_series_limit{cluster="prod",limit="max_series_per_cluster"} 1'
      );
    });
  });

  describe('shared budgets', () => {
    /** Two replicas taking turns with new series of one cluster, a tick between turns. */
    async function splitCluster(
      store: CardinalityStore | undefined,
      budget: number,
      perTurn: number,
      turnsPerTick = 1
    ): Promise<number> {
      const clock = { now: 1_700_000_000_000 };
      const options = { now: () => clock.now, store };
      const a = new CardinalityLimiter(
        limitsWith({ max_series_per_cluster: budget }),
        { ...options, replicaId: 'a' }
      );
      const b = new CardinalityLimiter(
        limitsWith({ max_series_per_cluster: budget }),
        { ...options, replicaId: 'b' }
      );
      let admitted = 0;
      let next = 0;
      for (let turn = 0; turn < 40; turn++) {
        const replica = turn % 2 === 0 ? a : b;
        const result = run(
          replica,
          PROD,
          pods('up', 'prod', next, next + perTurn)
        );
        admitted += perTurn - result.dropped.length;
        next += perTurn;
        clock.now += 500;
        if ((turn + 1) % turnsPerTick === 0)
          await Promise.all([a.maintain(), b.maintain()]);
      }
      return admitted;
    }

    it('keeps two replicas splitting a cluster within budget plus one tick of the other replica', async () => {
      const admitted = await splitCluster(new FakeStore(), 100, 10);
      expect(admitted).toBeGreaterThanOrEqual(100);
      expect(admitted).toBeLessThanOrEqual(110);
    });

    it('overshoots by at most what the other replica admits within one tick', async () => {
      // Both replicas take a turn between ticks: each judges without the other's last 10.
      const admitted = await splitCluster(new FakeStore(), 100, 10, 2);
      expect(admitted).toBeGreaterThanOrEqual(100);
      expect(admitted).toBeLessThanOrEqual(110);
    });

    it('lets each replica fill the budget alone without a shared store (the control)', async () => {
      expect(await splitCluster(undefined, 100, 10)).toBe(200);
    });

    it('publishes admitted series to the cluster, cluster+metric and fleet metric sets', async () => {
      const store = new FakeStore();
      const { limiter } = newLimiter(
        limitsWith({ max_series_per_cluster: 100 }),
        { store }
      );
      run(limiter, PROD, pods('up', 'prod', 0, 3));
      await limiter.maintain();
      expect(store.sets.get('prod\x00')?.size).toBe(3);
      expect(store.sets.get('prod\x00up')?.size).toBe(3);
      expect(store.sets.get('\x00up')?.size).toBe(3);
      expect([...store.sets.get('prod\x00')!.keys()][0]).toMatch(
        /^[0-9a-f]{16}$/
      );
      expect(store.snapshots.has(limiter.replicaId)).toBe(true);
    });

    it('keeps ingesting on local counts while the store fails', async () => {
      const store = new FakeStore();
      store.isFailing = true;
      const errors: unknown[] = [];
      const { limiter } = newLimiter(
        limitsWith({ max_series_per_cluster: 5 }),
        { store, onError: err => errors.push(err) }
      );
      expect(run(limiter, PROD, pods('up', 'prod', 0, 8)).dropped).toHaveLength(
        3
      );
      await limiter.maintain();
      expect(errors.length).toBeGreaterThan(0);
      expect(run(limiter, PROD, pods('up', 'prod', 0, 5)).dropped).toHaveLength(
        0
      );
    });
  });

  describe('start()', () => {
    it('sweeps on its own timer, so an idle cluster frees its budget', async () => {
      vi.useFakeTimers();
      const clock = { now: 1_700_000_000_000 };
      const limiter = new CardinalityLimiter(
        limitsWith({ active_window: 60_000 }),
        { now: () => clock.now }
      );
      run(limiter, PROD, pods('up', 'prod', 0, 10));
      limiter.start();
      clock.now += 125_000;
      await vi.advanceTimersByTimeAsync(3000);
      expect(limiter.index.get('prod')?.size ?? 0).toBe(0);
      await limiter.stop();
    });
  });
});
