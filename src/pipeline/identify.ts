/**
 * Identify: which cluster is talking. The bearer token decides; a sender can
 * never choose its cluster through labels when tokens are in use. Anonymous
 * writes are allowed only when no cluster has a token and the gateway
 * listens on loopback only, and then the cluster comes from the data.
 */
import { UnauthorizedError } from '../errors.js';
import type { ClusterRegistry, RegisteredCluster } from '../fleet/index.js';

export type Identity =
  | { readonly kind: 'cluster'; readonly cluster: RegisteredCluster }
  | { readonly kind: 'anonymous' };

const BEARER_RE = /^Bearer\s+(\S+)\s*$/i;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return (
    bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare)
  );
}

export class Identifier {
  private readonly _registry: ClusterRegistry;
  private readonly _anonymousAllowed: boolean;
  private readonly _anonymousRefusal: string;

  constructor(registry: ClusterRegistry, listenHost: string) {
    this._registry = registry;
    const loopback = isLoopbackHost(listenHost);
    this._anonymousAllowed = !registry.hasTokens && loopback;
    this._anonymousRefusal = registry.hasTokens
      ? 'missing bearer token: send Authorization: Bearer <cluster token>'
      : `anonymous writes are accepted only on a loopback listen address (listening on ${listenHost}); give each cluster a token`;
  }

  get anonymousAllowed(): boolean {
    return this._anonymousAllowed;
  }

  /** Resolves the Authorization header; throws UnauthorizedError (401). */
  identify(authorization: string | undefined): Identity {
    if (authorization === undefined || authorization === '') {
      if (this._anonymousAllowed) return { kind: 'anonymous' };
      throw new UnauthorizedError(this._anonymousRefusal);
    }
    const match = BEARER_RE.exec(authorization);
    if (match === null) {
      throw new UnauthorizedError(
        'cannot read Authorization header: want "Bearer <cluster token>"'
      );
    }
    const cluster = this._registry.byToken(match[1]!);
    if (cluster === undefined)
      throw new UnauthorizedError('unknown bearer token');
    return { kind: 'cluster', cluster };
  }
}
