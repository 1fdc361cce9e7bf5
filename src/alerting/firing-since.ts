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
}
