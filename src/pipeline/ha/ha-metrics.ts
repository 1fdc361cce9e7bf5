/**
 * The HA deduplicator's metrics: who is elected, and what was dropped as a
 * duplicate. The replica label comes from senders, so each cluster keeps at
 * most MAX_REPLICA_LABELS_PER_CLUSTER distinct values and folds the rest into
 * `other` (an HA pair has two replicas; a few more appear when pods are
 * renamed).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const HA_DEDUPED_SAMPLES_METRIC = 'fleetgate_ha_deduped_samples_total';
export const HA_LEADER_METRIC = 'fleetgate_ha_leader';

/** Distinct `replica` label values per cluster before folding into OTHER_REPLICA. */
export const MAX_REPLICA_LABELS_PER_CLUSTER = 10;
export const OTHER_REPLICA = 'other';

interface LeaderSeries {
  readonly cluster: string;
  readonly replica: string;
  /** HA clusters (election keys) electing this replica; the gauge's value. */
  electedBy: number;
}

/**
 * Instruments on a given Registry. Get-or-create, because the pipeline is
 * rebuilt against the same registry on every config reload; a new instance
 * clears the leader gauge, which it fills again as elections are learned
 * (the first request per cluster).
 */
export class HaMetrics {
  private readonly _deduped: Counter<'cluster' | 'replica'>;
  private readonly _leader: Gauge<'cluster' | 'replica'>;
  /** cluster → replica names given their own label value. */
  private readonly _replicaNames = new Map<string, Set<string>>();
  /** election key → the gauge series it sets to 1. */
  private readonly _leaderOf = new Map<string, LeaderSeries>();
  /** `${cluster}\x00${replica}` → gauge series. */
  private readonly _leaderSeries = new Map<string, LeaderSeries>();

  constructor(registry: Registry) {
    const deduped = registry.getSingleMetric(HA_DEDUPED_SAMPLES_METRIC);
    this._deduped =
      deduped instanceof Counter
        ? deduped
        : new Counter({
            name: HA_DEDUPED_SAMPLES_METRIC,
            help: 'Samples (floats and histograms) from an HA replica that is not the elected one, dropped as duplicates, by cluster and replica.',
            labelNames: ['cluster', 'replica'],
            registers: [registry],
          });
    const leader = registry.getSingleMetric(HA_LEADER_METRIC);
    if (leader instanceof Gauge) {
      this._leader = leader;
      this._leader.reset();
    } else {
      this._leader = new Gauge({
        name: HA_LEADER_METRIC,
        help: '1 for the HA replica elected per cluster (samples of the others are dropped as duplicates).',
        labelNames: ['cluster', 'replica'],
        registers: [registry],
      });
    }
  }

  /** `cluster` must be bounded (a registered name or `unregistered`). */
  countDeduped(cluster: string, replica: string, samples: number): void {
    this._deduped.inc(
      { cluster, replica: this._replicaLabelOf(cluster, replica) },
      samples
    );
  }

  /**
   * Records the leader of one election. `electionKey` is the HA cluster
   * (the cluster, or the cluster and its HA group); several may share a
   * metric cluster, hence the count.
   */
  setLeader(electionKey: string, cluster: string, replica: string): void {
    const previous = this._leaderOf.get(electionKey);
    const replicaLabel = this._replicaLabelOf(cluster, replica);
    if (
      previous !== undefined &&
      previous.cluster === cluster &&
      previous.replica === replicaLabel
    )
      return;
    if (previous !== undefined) this._release(previous);
    const seriesKey = `${cluster}\x00${replicaLabel}`;
    let series = this._leaderSeries.get(seriesKey);
    if (series === undefined) {
      series = { cluster, replica: replicaLabel, electedBy: 0 };
      this._leaderSeries.set(seriesKey, series);
    }
    series.electedBy++;
    this._leaderOf.set(electionKey, series);
    this._leader.set({ cluster, replica: replicaLabel }, series.electedBy);
  }

  private _release(series: LeaderSeries): void {
    series.electedBy--;
    const labels = { cluster: series.cluster, replica: series.replica };
    if (series.electedBy > 0) {
      this._leader.set(labels, series.electedBy);
      return;
    }
    this._leaderSeries.delete(`${series.cluster}\x00${series.replica}`);
    this._leader.remove(labels);
  }

  private _replicaLabelOf(cluster: string, replica: string): string {
    let names = this._replicaNames.get(cluster);
    if (names === undefined) {
      names = new Set();
      this._replicaNames.set(cluster, names);
    }
    if (names.has(replica)) return replica;
    if (names.size >= MAX_REPLICA_LABELS_PER_CLUSTER) return OTHER_REPLICA;
    names.add(replica);
    return replica;
  }
}
