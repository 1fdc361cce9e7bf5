import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { configSchema } from '../../config/index.js';
import type { RegisteredCluster } from '../../fleet/index.js';
import {
  DropReason,
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../../model/index.js';
import type { StateStore } from '../../state/index.js';
import type { Identity } from '../identify.js';
import { StageTally, type StageContext } from '../stage.js';
import { HaDeduplicator, type HaConfig } from './ha-deduplicator.js';
import type {
  ReplicaElection,
  ReplicaElectionStore,
} from './ha-election-cache.js';
import { HA_DEDUPED_SAMPLES_METRIC, HA_LEADER_METRIC } from './ha-metrics.js';

/**
 * The election as the StateStore contract describes it, in memory: the first
 * replica to ask leads, its asks renew its lease, another replica takes over
 * once the lease is older than the failover timeout. Counts calls per replica.
 */
class FakeElectionStore implements ReplicaElectionStore {
  readonly calls = new Map<string, number>();
  private readonly _leases = new Map<
    string,
    { leader: string; renewedAtMs: number }
  >();

  get totalCalls(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  electReplica(
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number
  ): Promise<ReplicaElection> {
    this.calls.set(replica, (this.calls.get(replica) ?? 0) + 1);
    const lease = this._leases.get(cluster);
    if (
      lease === undefined ||
      (lease.leader !== replica &&
        nowMs - lease.renewedAtMs > failoverTimeoutMs)
    ) {
      this._leases.set(cluster, { leader: replica, renewedAtMs: nowMs });
      return Promise.resolve({ leader: replica, isLeader: true });
    }
    if (lease.leader === replica) {
      lease.renewedAtMs = Math.max(lease.renewedAtMs, nowMs);
      return Promise.resolve({ leader: replica, isLeader: true });
    }
    return Promise.resolve({ leader: lease.leader, isLeader: false });
  }
}

const PROD_EU: Identity = {
  kind: 'cluster',
  cluster: {
    name: 'prod-eu',
    region: 'eu-west-1',
    env: 'prod',
    team: 'sre',
    extraLabels: [],
  } satisfies RegisteredCluster,
};

function haConfig(ha: Record<string, unknown> = {}): HaConfig {
  return configSchema.parse({ ha }).ha;
}

/** Normalized series (canonical cluster label) of `replica`, two samples each. */
function batchFrom(
  replica: string | undefined,
  series = 3,
  extra: Record<string, string> = {}
): SeriesBatch {
  const batch = new SeriesBatch();
  for (let s = 0; s < series; s++) {
    const labels: Record<string, string> = {
      __name__: 'up',
      cluster: 'prod-eu',
      env: 'prod',
      instance: `i-${s}`,
      ...extra,
    };
    if (replica !== undefined) labels['__replica__'] = replica;
    batch.addSeries(labelsFromRecord(labels));
    batch.addSample(1, 1000);
    batch.addSample(1, 2000);
  }
  return batch;
}

interface Outcome {
  readonly batch: SeriesBatch;
  readonly tally: StageTally;
  readonly isAccepted: boolean;
}

async function send(
  dedup: HaDeduplicator,
  replica: string | undefined,
  atMs: number,
  identity: Identity = PROD_EU,
  batch = batchFrom(replica)
): Promise<Outcome> {
  const tally = new StageTally();
  const context: StageContext = {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: atMs,
    tally,
  };
  await dedup.process(batch, context);
  return {
    batch,
    tally,
    isAccepted: batch.liveSeriesCount() === batch.seriesCount,
  };
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  return values.find(v =>
    Object.keys(labels).every(k => v.labels[k] === labels[k])
  )?.value;
}

const T0 = 1_700_000_000_000;
const SECOND = 1000;

describe('HaDeduplicator', () => {
  it('fits the StateStore interface', () => {
    expectTypeOf<StateStore>().toExtend<ReplicaElectionStore>();
  });

  describe('process()', () => {
    it('elects the first replica, strips its replica label, and drops the other', async () => {
      const registry = new Registry();
      const dedup = new HaDeduplicator(
        haConfig(),
        new FakeElectionStore(),
        registry
      );

      const leader = await send(dedup, 'prom-0', T0);
      expect(leader.isAccepted).toBe(true);
      expect(leader.tally.drops.size).toBe(0);
      expect(
        await metricValue(registry, HA_LEADER_METRIC, {
          cluster: 'prod-eu',
          replica: 'prom-0',
        })
      ).toBe(1);

      const follower = await send(dedup, 'prom-1', T0 + SECOND);
      expect(follower.batch.liveSeriesCount()).toBe(0);
      expect(Array.from(follower.batch.dropped.subarray(0, 3))).toEqual([
        DropReason.HA_REPLICA,
        DropReason.HA_REPLICA,
        DropReason.HA_REPLICA,
      ]);
      expect(
        follower.tally.drops.get('prod-eu\x00ha_replica_not_elected')
      ).toEqual([3, 6]);
      expect(follower.tally.reasonText('ha_replica_not_elected')).toBe(
        'replica "prom-1" is not the elected HA replica of cluster "prod-eu" ("prom-0" is; it takes over after 30s without samples from the leader)'
      );
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          cluster: 'prod-eu',
          replica: 'prom-1',
        })
      ).toBe(6);
    });

    it('leaves no replica label on any passed series, and the other labels as they were', async () => {
      const dedup = new HaDeduplicator(
        haConfig(),
        new FakeElectionStore(),
        new Registry()
      );
      const batch = batchFrom('prom-0', 2);
      // A later series of another replica passes with the request and loses the label too (as in Mimir).
      batch.addSeries(
        labelsFromRecord({
          __name__: 'up',
          __replica__: 'prom-1',
          cluster: 'prod-eu',
          job: 'x',
        })
      );
      batch.addSample(1, 1000);
      batch.addSeries(
        labelsFromRecord({ __name__: 'up', cluster: 'prod-eu', job: 'y' })
      );
      batch.addSample(1, 1000);
      const { isAccepted } = await send(dedup, 'prom-0', T0, PROD_EU, batch);
      expect(isAccepted).toBe(true);
      expect(batch.labels.slice(0, 4).map(labelsToRecord)).toEqual([
        { __name__: 'up', cluster: 'prod-eu', env: 'prod', instance: 'i-0' },
        { __name__: 'up', cluster: 'prod-eu', env: 'prod', instance: 'i-1' },
        { __name__: 'up', cluster: 'prod-eu', job: 'x' },
        { __name__: 'up', cluster: 'prod-eu', job: 'y' },
      ]);
    });

    it('decides on the first live series only', async () => {
      const dedup = new HaDeduplicator(
        haConfig(),
        new FakeElectionStore(),
        new Registry()
      );
      await send(dedup, 'prom-0', T0);
      const batch = batchFrom(undefined, 1);
      batch.dropped[0] = DropReason.RELABEL;
      batch.addSeries(
        labelsFromRecord({
          __name__: 'up',
          __replica__: 'prom-1',
          cluster: 'prod-eu',
        })
      );
      batch.addSample(1, 1000);
      await send(dedup, undefined, T0, PROD_EU, batch);
      expect(Array.from(batch.dropped.subarray(0, 2))).toEqual([
        DropReason.RELABEL,
        DropReason.HA_REPLICA,
      ]);
    });

    it('fails over once the leader sent nothing for the failover timeout', async () => {
      const registry = new Registry();
      const dedup = new HaDeduplicator(
        haConfig({ failover_timeout: '30s' }),
        new FakeElectionStore(),
        registry
      );
      expect((await send(dedup, 'prom-0', T0)).isAccepted).toBe(true);
      expect((await send(dedup, 'prom-1', T0 + 29 * SECOND)).isAccepted).toBe(
        false
      );
      expect((await send(dedup, 'prom-1', T0 + 31 * SECOND)).isAccepted).toBe(
        true
      );
      expect((await send(dedup, 'prom-0', T0 + 32 * SECOND)).isAccepted).toBe(
        false
      );
      expect(
        await metricValue(registry, HA_LEADER_METRIC, {
          cluster: 'prod-eu',
          replica: 'prom-1',
        })
      ).toBe(1);
      expect(
        await metricValue(registry, HA_LEADER_METRIC, {
          cluster: 'prod-eu',
          replica: 'prom-0',
        })
      ).toBeUndefined();
    });

    it('keeps a leader that keeps sending, however long', async () => {
      const dedup = new HaDeduplicator(
        haConfig({ failover_timeout: '30s' }),
        new FakeElectionStore(),
        new Registry()
      );
      for (let t = 0; t <= 300 * SECOND; t += 5 * SECOND) {
        expect((await send(dedup, 'prom-0', T0 + t)).isAccepted).toBe(true);
        expect((await send(dedup, 'prom-1', T0 + t + 100)).isAccepted).toBe(
          false
        );
      }
    });

    it('keeps a leader whose samples reach another gateway replica', async () => {
      const store = new FakeElectionStore();
      const gatewayA = new HaDeduplicator(
        haConfig({ failover_timeout: '30s' }),
        store,
        new Registry()
      );
      const gatewayB = new HaDeduplicator(
        haConfig({ failover_timeout: '30s' }),
        store,
        new Registry()
      );
      for (let t = 0; t <= 120 * SECOND; t += 500) {
        if (t % SECOND === 0)
          expect((await send(gatewayA, 'prom-0', T0 + t)).isAccepted).toBe(
            true
          );
        expect((await send(gatewayB, 'prom-1', T0 + t + 1)).isAccepted).toBe(
          false
        );
      }
      // Gateway B never sees the leader, so it re-checks its follower once per second.
      expect(store.calls.get('prom-1')).toBe(121);
      expect(store.calls.get('prom-0')).toBe(13);
    });

    it('passes a request without the replica label untouched', async () => {
      const store = new FakeElectionStore();
      const dedup = new HaDeduplicator(haConfig(), store, new Registry());
      const batch = batchFrom(undefined);
      const before = batch.labels.map(labels => [...labels]);
      const tally = new StageTally();
      expect(
        dedup.process(batch, {
          identity: PROD_EU,
          protocol: 'otlp',
          receivedAtMs: T0,
          tally,
        })
      ).toBeUndefined();
      expect(batch.labels).toEqual(before);
      expect(batch.liveSeriesCount()).toBe(3);
      expect(store.totalCalls).toBe(0);
    });

    it('leaves labels alone when disabled', async () => {
      const store = new FakeElectionStore();
      const dedup = new HaDeduplicator(
        haConfig({ enabled: false }),
        store,
        new Registry()
      );
      expect(dedup.isEnabled).toBe(false);
      const { batch, isAccepted } = await send(dedup, 'prom-1', T0);
      expect(isAccepted).toBe(true);
      expect(labelsToRecord(batch.labels[0]!)['__replica__']).toBe('prom-1');
      expect(store.totalCalls).toBe(0);
    });

    it('honours a custom replica label', async () => {
      const dedup = new HaDeduplicator(
        haConfig({ replica_label: 'prometheus_replica' }),
        new FakeElectionStore(),
        new Registry()
      );
      const first = batchFrom(undefined, 1, { prometheus_replica: 'a' });
      await send(dedup, undefined, T0, PROD_EU, first);
      expect(labelsToRecord(first.labels[0]!)).not.toHaveProperty(
        'prometheus_replica'
      );
      const second = batchFrom(undefined, 1, { prometheus_replica: 'b' });
      expect(
        (await send(dedup, undefined, T0, PROD_EU, second)).isAccepted
      ).toBe(false);
    });

    it('elects per HA group inside the cluster when cluster_label names another label', async () => {
      const dedup = new HaDeduplicator(
        haConfig({ cluster_label: 'ha_group' }),
        new FakeElectionStore(),
        new Registry()
      );
      const send1 = (
        replica: string,
        group: string | undefined
      ): Promise<Outcome> =>
        send(
          dedup,
          replica,
          T0,
          PROD_EU,
          batchFrom(replica, 1, group === undefined ? {} : { ha_group: group })
        );
      expect((await send1('a', 'pair-1')).isAccepted).toBe(true);
      expect((await send1('b', 'pair-2')).isAccepted).toBe(true);
      expect((await send1('b', 'pair-1')).isAccepted).toBe(false);
      // Only one of the two labels: accepted as it is, replica label included (Mimir).
      const alone = await send1('c', undefined);
      expect(alone.isAccepted).toBe(true);
      expect(labelsToRecord(alone.batch.labels[0]!)['__replica__']).toBe('c');
    });

    it('takes the cluster of anonymous data from its canonical label and counts it as unregistered', async () => {
      const registry = new Registry();
      const dedup = new HaDeduplicator(
        haConfig(),
        new FakeElectionStore(),
        registry
      );
      const anonymous: Identity = { kind: 'anonymous' };
      await send(dedup, 'prom-0', T0, anonymous);
      const follower = await send(dedup, 'prom-1', T0, anonymous);
      expect(
        follower.tally.drops.get('prod-eu\x00ha_replica_not_elected')
      ).toEqual([3, 6]);
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          cluster: 'unregistered',
          replica: 'prom-1',
        })
      ).toBe(6);
    });

    it('lets two gateway replicas sharing a store agree on the leader', async () => {
      const store = new FakeElectionStore();
      const gatewayA = new HaDeduplicator(haConfig(), store, new Registry());
      const gatewayB = new HaDeduplicator(haConfig(), store, new Registry());
      expect((await send(gatewayA, 'prom-0', T0)).isAccepted).toBe(true);
      expect((await send(gatewayB, 'prom-1', T0 + 10)).isAccepted).toBe(false);
      expect((await send(gatewayB, 'prom-0', T0 + 20)).isAccepted).toBe(true);
      expect((await send(gatewayA, 'prom-1', T0 + 30)).isAccepted).toBe(false);
    });

    it('asks the store about once per failover_timeout/3 in the steady state', async () => {
      const store = new FakeElectionStore();
      const dedup = new HaDeduplicator(
        haConfig({ failover_timeout: '30s' }),
        store,
        new Registry()
      );
      let requests = 0;
      for (let t = 0; t <= 60 * SECOND; t += 250) {
        await send(dedup, 'prom-0', T0 + t);
        await send(dedup, 'prom-1', T0 + t + 50);
        requests += 2;
      }
      expect(requests).toBe(482);
      // The leader renews at 0, 10, 20, …, 60 s; the follower is refused from the cache.
      expect(store.calls.get('prom-0')).toBe(7);
      expect(store.calls.get('prom-1')).toBeUndefined();
    });

    it('shares one store call between concurrent requests of a replica', async () => {
      const store = new FakeElectionStore();
      const dedup = new HaDeduplicator(haConfig(), store, new Registry());
      const outcomes = await Promise.all([
        send(dedup, 'prom-0', T0),
        send(dedup, 'prom-0', T0),
        send(dedup, 'prom-0', T0 + 1),
      ]);
      expect(outcomes.map(o => o.isAccepted)).toEqual([true, true, true]);
      expect(store.totalCalls).toBe(1);
    });

    it('folds replica names past the per-cluster cap into "other"', async () => {
      const registry = new Registry();
      const dedup = new HaDeduplicator(
        haConfig(),
        new FakeElectionStore(),
        registry
      );
      await send(dedup, 'prom-0', T0);
      for (let r = 1; r <= 12; r++) await send(dedup, `pod-${r}`, T0 + r);
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          replica: 'pod-9',
        })
      ).toBe(6);
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          replica: 'pod-10',
        })
      ).toBeUndefined();
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          replica: 'other',
        })
      ).toBe(18);
    });

    it('reuses its metrics when rebuilt on the same registry (config reload)', async () => {
      const registry = new Registry();
      const store = new FakeElectionStore();
      await send(new HaDeduplicator(haConfig(), store, registry), 'prom-0', T0);
      await send(
        new HaDeduplicator(haConfig(), store, registry),
        'prom-1',
        T0 + 1
      );
      await send(
        new HaDeduplicator(haConfig(), store, registry),
        'prom-1',
        T0 + 2
      );
      expect(
        await metricValue(registry, HA_DEDUPED_SAMPLES_METRIC, {
          replica: 'prom-1',
        })
      ).toBe(12);
      expect(
        await metricValue(registry, HA_LEADER_METRIC, { replica: 'prom-0' })
      ).toBe(1);
    });
  });
});
