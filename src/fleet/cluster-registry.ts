/**
 * The cluster registry: the clusters that should exist, their canonical
 * labels and the tokens that identify them. Tokens are kept only as sha256
 * digests; a presented token is hashed and compared digest to digest in
 * constant time, so neither the secret nor its prefix leaks through timing
 * or logs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClusterConfig } from '../config/index.js';

/** A registered cluster with its canonical label values. */
export interface RegisteredCluster {
  readonly name: string;
  readonly region: string;
  readonly env: string;
  readonly team: string;
  /** Extra constant labels stamped on the cluster's data, flat sorted pairs. */
  readonly extraLabels: readonly string[];
}

/** Placeholder for a canonical label the registry or the data leave empty. */
export const UNSET_LABEL_VALUE = 'unknown';

/** What the registry needs of a cluster's config. */
export type ClusterIdentityConfig = Pick<
  ClusterConfig,
  'name' | 'region' | 'env' | 'team' | 'labels'
> &
  Partial<Pick<ClusterConfig, 'token' | 'tokenSha256'>>;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class ClusterRegistry {
  private readonly _byName = new Map<string, RegisteredCluster>();
  // Keyed by the hex digest: looking up a digest leaks nothing about the
  // secret, because the attacker does not control the digest's bytes.
  private readonly _byDigest = new Map<
    string,
    { cluster: RegisteredCluster; digest: Buffer }
  >();

  constructor(clusters: readonly ClusterIdentityConfig[]) {
    for (const config of clusters) {
      const extra: string[] = [];
      for (const name of Object.keys(config.labels).sort())
        extra.push(name, config.labels[name]!);
      const cluster: RegisteredCluster = {
        name: config.name,
        region: config.region,
        env: config.env,
        team: config.team === '' ? UNSET_LABEL_VALUE : config.team,
        extraLabels: extra,
      };
      this._byName.set(cluster.name, cluster);
      const digestHex =
        config.tokenSha256?.toLowerCase() ??
        (config.token === undefined ? undefined : sha256Hex(config.token));
      if (digestHex !== undefined) {
        this._byDigest.set(digestHex, {
          cluster,
          digest: Buffer.from(digestHex, 'hex'),
        });
      }
    }
  }

  /** Whether any cluster has a token (then every write must present one). */
  get hasTokens(): boolean {
    return this._byDigest.size > 0;
  }

  get size(): number {
    return this._byName.size;
  }

  byName(name: string): RegisteredCluster | undefined {
    return this._byName.get(name);
  }

  all(): RegisteredCluster[] {
    return [...this._byName.values()];
  }

  /** The cluster a bearer token belongs to, or undefined. */
  byToken(token: string): RegisteredCluster | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    const entry = this._byDigest.get(digest.toString('hex'));
    if (entry === undefined) return undefined;
    return timingSafeEqual(digest, entry.digest) ? entry.cluster : undefined;
  }
}
