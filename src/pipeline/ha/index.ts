export {
  HaDeduplicator,
  HA_NOT_ELECTED_REASON,
  type HaConfig,
} from './ha-deduplicator.js';
export {
  HaElectionCache,
  FOLLOWER_RECHECK_MS,
  type ReplicaElection,
  type ReplicaElectionStore,
} from './ha-election-cache.js';
export {
  HaMetrics,
  HA_DEDUPED_SAMPLES_METRIC,
  HA_LEADER_METRIC,
  MAX_REPLICA_LABELS_PER_CLUSTER,
  OTHER_REPLICA,
} from './ha-metrics.js';
