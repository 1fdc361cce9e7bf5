/** The fleet's counts by state, region and env, from one evaluation. */
import {
  CLUSTER_STATES,
  type ClusterHealth,
  type ClusterState,
} from './cluster-health.js';

/** Clusters by state, with the total. */
export type StateCounts = Record<ClusterState, number> & { total: number };

export interface FleetSummary {
  /** Registered clusters by state, plus the `unregistered` senders. */
  readonly byState: StateCounts;
  /** Registered clusters by region, then state. */
  readonly byRegion: Readonly<Record<string, StateCounts>>;
  readonly byEnv: Readonly<Record<string, StateCounts>>;
}

/** Counts by state, region and env (region and env of registered clusters only). */
export function summarizeFleet(
  clusters: readonly ClusterHealth[],
  unregistered: readonly ClusterHealth[]
): FleetSummary {
  const byState = emptyStateCounts();
  const byRegion: Record<string, StateCounts> = {};
  const byEnv: Record<string, StateCounts> = {};
  for (const c of clusters) {
    add(byState, c.state);
    add((byRegion[c.region] ??= emptyStateCounts()), c.state);
    add((byEnv[c.env] ??= emptyStateCounts()), c.state);
  }
  for (const c of unregistered) add(byState, c.state);
  return { byState, byRegion, byEnv };
}

function emptyStateCounts(): StateCounts {
  const counts = { total: 0 } as StateCounts;
  for (const state of CLUSTER_STATES) counts[state] = 0;
  return counts;
}

function add(counts: StateCounts, state: ClusterState): void {
  counts[state]++;
  counts.total++;
}
