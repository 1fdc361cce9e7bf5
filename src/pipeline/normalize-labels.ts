/**
 * Normalize: every series leaves with exactly one `cluster`, `region`, `env`
 * and `team` label, valued from the registry, whatever the sender called
 * them. Configured aliases are folded in and removed. With a token, a sender
 * value that disagrees with the registry never lands: it is overwritten and
 * counted. Anonymous data (loopback-only mode) names its own cluster.
 */
import type { SeriesBatch } from '../model/index.js';
import type { ClusterRegistry, RegisteredCluster } from '../fleet/index.js';
import {
  CanonicalLabelResolver,
  type NormalizeOptions,
} from './canonical-label-resolver.js';
import type { Stage, StageContext } from './stage.js';

export {
  CANONICAL_LABELS,
  type CanonicalLabel,
  type NormalizeOptions,
} from './canonical-label-resolver.js';

/** One memoized normalization of a stable input array, for one token identity. */
interface NormalizeMemo {
  /** The token's cluster, or undefined for anonymous data. */
  readonly identity: RegisteredCluster | undefined;
  readonly clusterName: string;
  readonly out: string[];
  /** Canonical labels whose sent value was overwritten (counted on every hit). */
  readonly conflicts: readonly string[];
  readonly next: NormalizeMemo | undefined;
}

const NO_CONFLICTS: readonly string[] = Object.freeze([]);

/** Name used in metrics for clusters outside the registry (keeps label sets bounded). */
export const UNREGISTERED_CLUSTER = 'unregistered';

export class NormalizeLabels implements Stage {
  readonly name = 'normalize';
  /** Which sender names are canonical labels, and which values win (shared with log normalization). */
  private readonly _resolver: CanonicalLabelResolver;
  private _clusterName = '';
  /** The conflicts of the last series normalized (the resolver's scratch). */
  private _conflicts: readonly string[] = NO_CONFLICTS;
  // Keyed by stable input arrays (see SeriesBatch.stable): a series seen before costs one lookup.
  private readonly _memo = new WeakMap<readonly string[], NormalizeMemo>();

  constructor(registry: ClusterRegistry, options: NormalizeOptions) {
    this._resolver = new CanonicalLabelResolver(registry, options);
  }

  process(batch: SeriesBatch, context: StageContext): void {
    const identity = context.identity;
    const fixed = identity.kind === 'cluster' ? identity.cluster : undefined;
    const tally = context.tally;
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const input = batch.labels[s]!;
      if (batch.stable[s] === 0) {
        batch.labels[s] = this._normalizeSeries(input, fixed);
        const conflicts = this._conflicts;
        for (let c = 0; c < conflicts.length; c++)
          tally.addConflict(this._clusterName, conflicts[c]!);
        continue;
      }
      const first = this._memo.get(input);
      let memo = first;
      while (memo !== undefined && memo.identity !== fixed) memo = memo.next;
      if (memo === undefined) {
        const out = this._normalizeSeries(input, fixed);
        const conflicts = this._conflicts;
        memo = {
          identity: fixed,
          clusterName: this._clusterName,
          out,
          conflicts: conflicts.length === 0 ? NO_CONFLICTS : conflicts.slice(),
          next: first,
        };
        this._memo.set(input, memo);
      }
      batch.labels[s] = memo.out;
      for (let c = 0; c < memo.conflicts.length; c++)
        tally.addConflict(memo.clusterName, memo.conflicts[c]!);
    }
  }

  /** Rewrites one sorted flat label array; returns a new sorted array. */
  private _normalizeSeries(
    labels: readonly string[],
    fixed: RegisteredCluster | undefined
  ): string[] {
    const resolver = this._resolver;
    resolver.begin();
    const out: string[] = [];
    for (let i = 0; i < labels.length; i += 2) {
      const name = labels[i]!;
      const index = resolver.indexOf(name);
      if (index === undefined) {
        out.push(name, labels[i + 1]!);
        continue;
      }
      resolver.offer(index, name, labels[i + 1]!);
    }

    const resolved = resolver.resolve(fixed);
    this._conflicts = resolved.conflicts;
    if (resolved.registered !== undefined) {
      const extra = resolved.registered.extraLabels;
      for (let i = 0; i < extra.length; i += 2)
        setLabel(out, extra[i]!, extra[i + 1]!);
    }
    // Appended then insertion-sorted: four names into a sorted array is cheaper than a merge.
    this._clusterName = resolved.cluster;
    insertSorted(out, 'cluster', resolved.cluster);
    insertSorted(out, 'env', resolved.env);
    insertSorted(out, 'region', resolved.region);
    insertSorted(out, 'team', resolved.team);
    return out;
  }
}

/** Inserts name=value into a sorted flat array that does not contain name. */
function insertSorted(labels: string[], name: string, value: string): void {
  let at = labels.length;
  labels.push(name, value);
  while (at > 0 && labels[at - 2]! > name) {
    labels[at] = labels[at - 2]!;
    labels[at + 1] = labels[at - 1]!;
    at -= 2;
  }
  labels[at] = name;
  labels[at + 1] = value;
}

/** Sets name=value in a sorted flat array, replacing or inserting. */
function setLabel(labels: string[], name: string, value: string): void {
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === name) {
      labels[i + 1] = value;
      return;
    }
  }
  insertSorted(labels, name, value);
}
