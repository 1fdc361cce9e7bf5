/**
 * The SLO view's merge, pure: window sums `[A, T]` per window and cluster,
 * from this replica's counters (local answers, and what it publishes) or
 * summed over every live replica's published sums plus the bucket state of
 * replicas that are gone (shared answers; slo-replication.ts reads them).
 * Summing is what makes two replicas give the same answer.
 */
import { formatLe, parseLe } from '../model/index.js';
import type { SloCounters } from './slo-counters.js';
import type { SloDefinition } from './slo-definition.js';
import type { SloSums } from './slo-report.js';
import type { SloRuntime } from './slo-set.js';
import type { WindowsSnapshotSlo } from './slo-snapshot.js';

/** One replica's published window sums of one SLO. */
export interface ReplicaWindowSums {
  readonly replicaId: string;
  readonly sums: WindowsSnapshotSlo;
}

/** A gone replica's bucket state of one SLO (counted while its window sums are gone). */
export interface OrphanSloState {
  readonly stateKey: string;
  readonly counters: ReadonlyMap<string, SloCounters>;
}

/** Window sums of this replica's own counters of one SLO. */
export function localSloSums(slo: SloRuntime, nowMs: number): SloSums {
  const def = slo.def;
  const clusters = new Map<string, Float64Array>();
  for (const [cluster, counters] of slo.counters) {
    const sums = new Float64Array(2 * def.windowsMs.length);
    counters.addWindowsTo(def.windowsMs, nowMs, sums, 0);
    clusters.set(cluster, sums);
  }
  return {
    def,
    clusters,
    warnings: sloWarnings(def, slo.observedLe, slo.hasTotal, []),
  };
}

/**
 * One SLO's sums over every live replica's published sums (a replica that
 * runs another definition of it is left out, and named in the warnings)
 * plus the orphans' bucket state of the same definition. Clusters sorted by
 * name.
 */
export function mergeSloSums(
  def: SloDefinition,
  replicas: readonly ReplicaWindowSums[],
  orphans: readonly OrphanSloState[],
  nowMs: number
): SloSums {
  const width = 2 * def.windowsMs.length;
  const clusters = new Map<string, Float64Array>();
  const le = new Set<string>();
  let hasTotal = false;
  const mismatched: string[] = [];
  const sumsOf = (cluster: string): Float64Array => {
    let sums = clusters.get(cluster);
    if (sums === undefined)
      clusters.set(cluster, (sums = new Float64Array(width)));
    return sums;
  };
  for (const { replicaId, sums: entry } of replicas) {
    if (entry.fingerprint !== def.fingerprint) {
      mismatched.push(replicaId);
      continue;
    }
    for (const [cluster, values] of entry.clusters) {
      if (values.length !== width) continue;
      const sums = sumsOf(cluster);
      for (let i = 0; i < width; i++) sums[i]! += values[i]!;
    }
    for (const v of entry.le) le.add(v);
    hasTotal ||= entry.hasTotal;
  }
  for (const orphan of orphans) {
    if (orphan.stateKey !== def.stateKey) continue;
    for (const [cluster, counters] of orphan.counters)
      counters.addWindowsTo(def.windowsMs, nowMs, sumsOf(cluster), 0);
  }
  const extra = mismatched.map(
    id =>
      `replica ${JSON.stringify(id)} runs a different definition of this SLO; its events are left out until the configs agree`
  );
  return {
    def,
    clusters: new Map([...clusters].sort(([a], [b]) => compareText(a, b))),
    warnings: sloWarnings(def, le, hasTotal, extra),
  };
}

/** Runtime warnings (a threshold that is no observed `le`, nothing matched) plus the static ones. */
export function sloWarnings(
  def: SloDefinition,
  observedLe: ReadonlySet<string>,
  hasTotal: boolean,
  extra: readonly string[]
): string[] {
  const out = [...def.staticWarnings];
  const total = def.inputs.find(i => i.channel === 1)!.selector.text;
  if (def.threshold !== undefined) {
    const bucket = def.inputs.find(i => i.kind === 'bucket')!.selector.text;
    const native = def.inputs.find(i => i.kind === 'native')!.selector.text;
    const threshold = formatLe(def.threshold);
    if (observedLe.size === 0) {
      out.push(
        `no series matching ${bucket} or native histograms ${native} seen yet: the threshold ${threshold} cannot be checked against their buckets`
      );
    } else if (!observedLe.has(threshold)) {
      const seen = [...observedLe]
        .sort((a, b) => parseLe(a) - parseLe(b))
        .join(', ');
      out.push(
        `the threshold ${threshold} is not one of the bucket bounds seen on ${bucket} or native histograms ${native} (${seen}): set the threshold to one of them; until then a classic histogram counts no event as good (error ratio 1) and a native one counts the bucket holding the threshold as bad`
      );
    }
  }
  if (!hasTotal)
    out.push(`no series matching the total selector ${total} seen yet`);
  out.push(...extra);
  return out;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
