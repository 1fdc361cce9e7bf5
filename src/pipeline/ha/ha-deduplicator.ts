/**
 * HA deduplication with Mimir's HA tracker semantics (PROTOCOLS.md §2.15,
 * docs/architecture.md "Replicas and routing"): a cluster scraped by a Prometheus HA
 * pair sends everything twice, told apart by a replica label. One replica
 * per cluster is elected; its data lands without the replica label, the
 * other's is dropped (counted, never an error: the request is still
 * acknowledged, so the follower does not retry). When the leader sends
 * nothing for `failover_timeout`, the other replica takes over.
 *
 * Like Mimir, only the first live series of a request is looked at: a
 * request without the replica label there passes untouched. The cluster is
 * the canonical one set by normalization (with a token, the token's), so a
 * sender can never take part in another cluster's election.
 */
import type { Registry } from 'prom-client';
import { formatDuration, type Config } from '../../config/index.js';
import { DropReason, getLabel, type SeriesBatch } from '../../model/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Stage, StageContext } from '../stage.js';
import {
  HaElectionCache,
  type ReplicaElection,
  type ReplicaElectionStore,
} from './ha-election-cache.js';
import { HaMetrics } from './ha-metrics.js';

/** The `ha:` section of the configuration (failover_timeout in ms). */
export type HaConfig = Config['ha'];

/** Drop reason in the tally (`fleetgate_series_dropped_total{reason}`). */
export const HA_NOT_ELECTED_REASON = 'ha_replica_not_elected';

/** The canonical cluster label every series carries after normalization. */
const CLUSTER_LABEL = 'cluster';

export class HaDeduplicator implements Stage {
  readonly name = 'ha_dedup';
  private readonly _isEnabled: boolean;
  private readonly _replicaLabel: string;
  /** Undefined when the HA cluster is the canonical cluster (the default). */
  private readonly _groupLabel: string | undefined;
  private readonly _failoverText: string;
  private readonly _elections: HaElectionCache;
  private readonly _metrics: HaMetrics;

  /**
   * @param ha the `ha:` config section: replica and cluster label names,
   *   failover timeout (ms), and whether deduplication is on at all.
   * @param store elections shared by gateway replicas (Redis) or local (memory).
   * @param registry where `fleetgate_ha_deduped_samples_total` and
   *   `fleetgate_ha_leader` live.
   */
  constructor(ha: HaConfig, store: ReplicaElectionStore, registry: Registry) {
    this._isEnabled = ha.enabled;
    this._replicaLabel = ha.replica_label;
    // Another cluster label names HA groups inside the canonical cluster, so
    // the election stays scoped to the cluster the token proves.
    this._groupLabel =
      ha.cluster_label === CLUSTER_LABEL ? undefined : ha.cluster_label;
    this._failoverText = formatDuration(ha.failover_timeout);
    this._elections = new HaElectionCache(store, ha.failover_timeout);
    this._metrics = new HaMetrics(registry);
  }

  // Stable input array → the same labels without the replica label.
  private readonly _stripped = new WeakMap<readonly string[], string[]>();

  /** Whether deduplication is on (off: the stage can be left out; labels are left alone). */
  get isEnabled(): boolean {
    return this._isEnabled;
  }

  process(batch: SeriesBatch, context: StageContext): void | Promise<void> {
    if (!this._isEnabled) return;
    let first = 0;
    while (first < batch.seriesCount && batch.dropped[first] !== 0) first++;
    if (first === batch.seriesCount) return;
    const labels = batch.labels[first]!;
    const replica = getLabel(labels, this._replicaLabel);
    if (replica === undefined) return;

    const identity = context.identity;
    const cluster =
      identity.kind === 'cluster'
        ? identity.cluster.name
        : getLabel(labels, CLUSTER_LABEL);
    if (cluster === undefined) return;
    let electionKey = cluster;
    if (this._groupLabel !== undefined) {
      const group = getLabel(labels, this._groupLabel);
      // Mimir accepts a request that has only one of the two labels as it is.
      if (group === undefined) return;
      electionKey = `${cluster}/${group}`;
    }
    // Anonymous senders name their own clusters: metrics fold them into one value.
    const metricCluster =
      identity.kind === 'cluster' ? cluster : UNREGISTERED_CLUSTER;

    const election = this._elections.elect(
      electionKey,
      replica,
      context.receivedAtMs
    );
    if (!(election instanceof Promise)) {
      this._apply(
        batch,
        context,
        cluster,
        metricCluster,
        electionKey,
        replica,
        election
      );
      return;
    }
    return election.then(answer => {
      this._apply(
        batch,
        context,
        cluster,
        metricCluster,
        electionKey,
        replica,
        answer
      );
    });
  }

  private _apply(
    batch: SeriesBatch,
    context: StageContext,
    cluster: string,
    metricCluster: string,
    electionKey: string,
    replica: string,
    election: ReplicaElection
  ): void {
    this._metrics.setLeader(electionKey, metricCluster, election.leader);
    if (election.isLeader) {
      // The replica label never lands: downstream sees one copy of the data.
      for (let s = 0; s < batch.seriesCount; s++) {
        if (batch.dropped[s] !== 0) continue;
        const input = batch.labels[s]!;
        if (batch.stable[s] === 0) {
          batch.labels[s] = withoutLabel(input, this._replicaLabel);
          continue;
        }
        let out = this._stripped.get(input);
        if (out === undefined) {
          out = withoutLabel(input, this._replicaLabel);
          this._stripped.set(input, out);
        }
        batch.labels[s] = out;
      }
      return;
    }
    const explanation =
      `replica ${JSON.stringify(replica)} is not the elected HA replica of cluster ${JSON.stringify(cluster)} ` +
      `(${JSON.stringify(election.leader)} is; it takes over after ${this._failoverText} without samples from the leader)`;
    let points = 0;
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const seriesPoints = batch.pointsOf(s);
      batch.dropped[s] = DropReason.HA_REPLICA;
      context.tally.addDrop(
        cluster,
        HA_NOT_ELECTED_REASON,
        seriesPoints,
        explanation
      );
      points += seriesPoints;
    }
    this._metrics.countDeduped(metricCluster, replica, points);
  }
}

/**
 * A copy of a flat label array without `name` (the array itself is never
 * mutated: it may be a stable array other stages memoize on).
 */
function withoutLabel(labels: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== name) out.push(labels[i]!, labels[i + 1]!);
  }
  return out;
}
