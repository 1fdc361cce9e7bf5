/**
 * The rule that gives data its canonical `cluster`, `region`, `env` and
 * `team`, shared by series (NormalizeLabels) and log resources
 * (pipeline/logs): which sender names count as each canonical label
 * (the name itself and its configured aliases), and which values win.
 *
 * - With a token, the token's registry entry decides all four; a sent value
 *   that disagrees is a conflict (overwritten by the caller, and counted).
 * - Anonymous data (loopback-only mode) names its own cluster, else
 *   `unknownCluster`; a registered cluster then gets its registry values,
 *   an unregistered one keeps what it says and `unknown` for the rest.
 *
 * Callers collect the sent values into a 4-slot scratch array with
 * {@link CanonicalLabelResolver.offer} and call `resolve` once per label set;
 * nothing is allocated per call.
 */
import type { ClusterRegistry, RegisteredCluster } from '../fleet/index.js';
import { UNSET_LABEL_VALUE } from '../fleet/index.js';

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

/** The outcome of one `resolve`; the resolver's scratch, valid until the next begin(). */
export interface CanonicalValues {
  /** The registry entry, when the cluster is registered. */
  registered: RegisteredCluster | undefined;
  cluster: string;
  region: string;
  env: string;
  team: string;
  /** The canonical names whose sent value was overwritten. */
  readonly conflicts: string[];
}

export class CanonicalLabelResolver {
  private readonly _registry: ClusterRegistry;
  private readonly _unknownCluster: string;
  /** Label name → canonical index, for canonical names and every alias. */
  private readonly _canonicalOf = new Map<string, number>();
  // Scratch of the label set being read, reused across label sets (series
  // or log resources): the hot path makes no object per series.
  private readonly _sent: (string | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  private readonly _resolved: CanonicalValues = {
    registered: undefined,
    cluster: '',
    region: '',
    env: '',
    team: '',
    conflicts: [],
  };

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

  /** 0–3 (cluster, region, env, team) for a canonical name or one of its aliases; else undefined. */
  indexOf(name: string): number | undefined {
    return this._canonicalOf.get(name);
  }

  /** Starts a label set: forgets what the previous one sent. */
  begin(): void {
    const sent = this._sent;
    sent[0] = sent[1] = sent[2] = sent[3] = undefined;
    this._resolved.conflicts.length = 0;
  }

  /**
   * Records a sent value of canonical label `index` (indexOf) under `name`:
   * the first alias wins among aliases, and the canonical name itself wins
   * over any alias.
   */
  offer(index: number, name: string, value: string): void {
    const sent = this._sent;
    if (sent[index] === undefined || name === CANONICAL_LABELS[index])
      sent[index] = value;
  }

  /**
   * Resolves the canonical values of the label set offered since begin(),
   * given who sent it (`fixed`: the token's cluster, undefined when
   * anonymous), with the canonical names whose sent value is overwritten as
   * `conflicts`. The values are scratch: read them before the next begin().
   */
  resolve(fixed: RegisteredCluster | undefined): CanonicalValues {
    const sent = this._sent;
    const out = this._resolved;
    const conflicts = out.conflicts;
    let cluster = fixed;
    if (cluster === undefined) {
      out.cluster = sent[CLUSTER] ?? this._unknownCluster;
      cluster = this._registry.byName(out.cluster);
    } else {
      out.cluster = cluster.name;
      if (sent[CLUSTER] !== undefined && sent[CLUSTER] !== out.cluster)
        conflicts.push('cluster');
    }
    out.registered = cluster;
    if (cluster === undefined) {
      // Unregistered anonymous data keeps what it says about itself.
      out.region = sent[REGION] ?? UNSET_LABEL_VALUE;
      out.env = sent[ENV] ?? UNSET_LABEL_VALUE;
      out.team = sent[TEAM] ?? UNSET_LABEL_VALUE;
      return out;
    }
    out.region = cluster.region;
    out.env = cluster.env;
    out.team = cluster.team;
    if (sent[REGION] !== undefined && sent[REGION] !== out.region)
      conflicts.push('region');
    if (sent[ENV] !== undefined && sent[ENV] !== out.env) conflicts.push('env');
    if (sent[TEAM] !== undefined && sent[TEAM] !== out.team)
      conflicts.push('team');
    return out;
  }
}
