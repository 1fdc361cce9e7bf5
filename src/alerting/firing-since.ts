import type { GatewayAlert } from './alert-source.js';

/** An alert firing now, keyed by its identity (its labels, serialized). */
export interface FiringAlert {
  readonly key: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/**
 * Remembers since when each alert has been firing, so a source that only
 * knows "firing now" can give Alertmanager a stable `startsAt`.
 */
export class FiringSince {
  private _since = new Map<string, number>();

  /** Marks the keys firing now; forgets the rest. Returns each key's start. */
  update(keys: readonly string[], nowMs: number): Map<string, number> {
    const next = new Map<string, number>();
    for (const key of keys) next.set(key, this._since.get(key) ?? nowMs);
    this._since = next;
    return next;
  }

  /** The alerts firing now, each with the time it started firing (the others are forgotten). */
  stamp(firing: readonly FiringAlert[], nowMs: number): GatewayAlert[] {
    const since = this.update(
      firing.map(f => f.key),
      nowMs
    );
    return firing.map(f => ({
      labels: f.labels,
      annotations: f.annotations,
      activeSinceMs: since.get(f.key)!,
    }));
  }
}
