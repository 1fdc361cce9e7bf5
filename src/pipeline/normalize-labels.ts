/**
 * Normalize: every series leaves with exactly one `cluster`, `region`, `env`
 * and `team` label, valued from the registry, whatever the sender called
 * them. Configured aliases are folded in and removed. With a token, a sender
 * value that disagrees with the registry never lands: it is overwritten and
 * counted. Anonymous data (loopback-only mode) names its own cluster.
 */
import type { SeriesBatch } from '../model/index.js';
import type { ClusterRegistry, RegisteredCluster } from '../fleet/index.js';
import { UNSET_LABEL_VALUE } from '../fleet/index.js';
import type { Stage, StageContext } from './stage.js';

export const CANONICAL_LABELS = ['cluster', 'region', 'env', 'team'] as const;
export type CanonicalLabel = (typeof CANONICAL_LABELS)[number];

const CLUSTER = 0;
const REGION = 1;
const ENV = 2;
const TEAM = 3;

export interface NormalizeOptions {
  /** Sender label names folded into each canonical label. */
  aliases: Readonly<Record<CanonicalLabel, readonly string[]>>;
  /** Cluster value for anonymous data that names none. */
  unknownCluster: string;
}

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
  private readonly _registry: ClusterRegistry;
  private readonly _unknownCluster: string;
  /** Label name → canonical index, for canonical names and every alias. */
  private readonly _canonicalOf = new Map<string, number>();
  // Scratch for the values a series sent, reused across series (no per-series allocation).
  private readonly _sent: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly _conflicts: string[] = [];
  private _clusterName = '';
  // Keyed by stable input arrays (see SeriesBatch.stable): a series seen before costs one lookup.
  private readonly _memo = new WeakMap<readonly string[], NormalizeMemo>();

  constructor(registry: ClusterRegistry, options: NormalizeOptions) {
    this._registry = registry;
    this._unknownCluster = options.unknownCluster;
    CANONICAL_LABELS.forEach((name, index) => {
      this._canonicalOf.set(name, index);
      for (const alias of options.aliases[name]) {
        // An alias that is another canonical name would silently remap data.
        if (!this._canonicalOf.has(alias)) this._canonicalOf.set(alias, index);
      }
    });
  }

  process(batch: SeriesBatch, context: StageContext): void {
    const identity = context.identity;
    const fixed = identity.kind === 'cluster' ? identity.cluster : undefined;
    const tally = context.tally;
    const conflicts = this._conflicts;
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const input = batch.labels[s]!;
      if (batch.stable[s] === 0) {
        batch.labels[s] = this._normalizeSeries(input, fixed);
        for (let c = 0; c < conflicts.length; c++) tally.addConflict(this._clusterName, conflicts[c]!);
        continue;
      }
      const first = this._memo.get(input);
      let memo = first;
      while (memo !== undefined && memo.identity !== fixed) memo = memo.next;
      if (memo === undefined) {
        const out = this._normalizeSeries(input, fixed);
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
      for (let c = 0; c < memo.conflicts.length; c++) tally.addConflict(memo.clusterName, memo.conflicts[c]!);
    }
  }

  /** Rewrites one sorted flat label array; returns a new sorted array. */
  private _normalizeSeries(labels: readonly string[], fixed: RegisteredCluster | undefined): string[] {
    const sent = this._sent;
    const conflicts = this._conflicts;
    conflicts.length = 0;
    sent[CLUSTER] = sent[REGION] = sent[ENV] = sent[TEAM] = undefined;
    const out: string[] = [];
    const canonicalOf = this._canonicalOf;
    for (let i = 0; i < labels.length; i += 2) {
      const name = labels[i]!;
      const index = canonicalOf.get(name);
      if (index === undefined) {
        out.push(name, labels[i + 1]!);
        continue;
      }
      // The canonical name itself wins over an alias when both are sent.
      if (sent[index] === undefined || name === CANONICAL_LABELS[index]) sent[index] = labels[i + 1];
    }

    let cluster = fixed;
    let clusterName: string;
    if (cluster === undefined) {
      clusterName = sent[CLUSTER] ?? this._unknownCluster;
      cluster = this._registry.byName(clusterName);
    } else {
      clusterName = cluster.name;
      if (sent[CLUSTER] !== undefined && sent[CLUSTER] !== clusterName) conflicts.push('cluster');
    }

    let region: string;
    let env: string;
    let team: string;
    if (cluster === undefined) {
      // Unregistered anonymous data keeps what it says about itself.
      region = sent[REGION] ?? UNSET_LABEL_VALUE;
      env = sent[ENV] ?? UNSET_LABEL_VALUE;
      team = sent[TEAM] ?? UNSET_LABEL_VALUE;
    } else {
      region = cluster.region;
      env = cluster.env;
      team = cluster.team;
      if (sent[REGION] !== undefined && sent[REGION] !== region) conflicts.push('region');
      if (sent[ENV] !== undefined && sent[ENV] !== env) conflicts.push('env');
      if (sent[TEAM] !== undefined && sent[TEAM] !== team) conflicts.push('team');
      const extra = cluster.extraLabels;
      for (let i = 0; i < extra.length; i += 2) setLabel(out, extra[i]!, extra[i + 1]!);
    }
    // Appended then insertion-sorted: four names into a sorted array is cheaper than a merge.
    this._clusterName = clusterName;
    insertSorted(out, 'cluster', clusterName);
    insertSorted(out, 'env', env);
    insertSorted(out, 'region', region);
    insertSorted(out, 'team', team);
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
