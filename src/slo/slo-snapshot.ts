/**
 * What a replica publishes through the state store (StateStore
 * publishSnapshot / readSnapshots), as JSON:
 *
 * - `slo-windows` (every few seconds, short TTL): per SLO and cluster, this
 *   replica's own event sums `[A, T]` for each of the SLO's windows at
 *   publish time, plus what the warnings need (the `le` values seen, whether
 *   any total series was seen). Answers with a shared store are the sum of
 *   every live replica's entry, so every replica gives the same answer. The
 *   payload is about 16 B × windows per (SLO, cluster), not the buckets.
 *
 *   `{"v":1,"slos":[{"n":name,"f":fingerprint,"le":["0.1","+Inf"],"t":true,
 *     "c":[[cluster,[A0,T0,A1,T1,…]],…]}]}`
 *
 * - `slo-state:<slo>` (every minute and at stop, TTL = what the SLO
 *   keeps): this replica's bucket rings for one SLO, so a restart with the
 *   same replica id reloads them, and the others can still count a replica
 *   that is gone. Rings are zero-run coded: a run of k zero slots is `-k`
 *   (counts are never negative).
 *
 *   `{"v":1,"k":stateKey,"c":[[cluster,[[head,[runs…]],…one per tier]],…]}`
 */
import type { TierState } from './slo-counters.js';

export const SLO_WINDOWS_SNAPSHOT_KIND = 'slo-windows';
const STATE_KIND_PREFIX = 'slo-state:';

/** The snapshot kind holding one SLO's bucket state. */
export function sloStateSnapshotKind(sloName: string): string {
  return STATE_KIND_PREFIX + sloName;
}

export interface WindowsSnapshotSlo {
  readonly name: string;
  readonly fingerprint: string;
  /** `le` values seen on the latency histogram's bucket series (as `formatLe` renders them). */
  readonly le: readonly string[];
  /** Whether a series matching the total selector was seen. */
  readonly hasTotal: boolean;
  /** cluster → `[A0, T0, A1, T1, …]` in the SLO's window order. */
  readonly clusters: ReadonlyMap<string, Float64Array>;
}

export function encodeWindowsSnapshot(
  slos: readonly WindowsSnapshotSlo[]
): string {
  return JSON.stringify({
    v: 1,
    slos: slos.map(s => ({
      n: s.name,
      f: s.fingerprint,
      le: s.le,
      t: s.hasTotal,
      c: [...s.clusters].map(([cluster, sums]) => [cluster, Array.from(sums)]),
    })),
  });
}

/** @throws SyntaxError when the payload is not a version-1 windows snapshot. */
export function decodeWindowsSnapshot(payload: string): WindowsSnapshotSlo[] {
  const raw = JSON.parse(payload) as unknown;
  if (!isRecord(raw) || raw['v'] !== 1 || !Array.isArray(raw['slos'])) {
    throw new SyntaxError(
      'cannot decode SLO windows snapshot: want {"v":1,"slos":[…]}'
    );
  }
  return raw['slos'].map((s: unknown): WindowsSnapshotSlo => {
    if (
      !isRecord(s) ||
      typeof s['n'] !== 'string' ||
      typeof s['f'] !== 'string' ||
      !Array.isArray(s['c'])
    ) {
      throw new SyntaxError(
        'cannot decode SLO windows snapshot: bad SLO entry'
      );
    }
    const clusters = new Map<string, Float64Array>();
    for (const entry of s['c'] as unknown[]) {
      if (
        !Array.isArray(entry) ||
        typeof entry[0] !== 'string' ||
        !isNumberArray(entry[1])
      ) {
        throw new SyntaxError(
          `cannot decode SLO windows snapshot: bad cluster entry of ${s['n']}`
        );
      }
      clusters.set(entry[0], Float64Array.from(entry[1]));
    }
    const le = Array.isArray(s['le'])
      ? (s['le'] as unknown[]).filter(x => typeof x === 'string')
      : [];
    return {
      name: s['n'],
      fingerprint: s['f'],
      le,
      hasTotal: s['t'] === true,
      clusters,
    };
  });
}

export interface StateSnapshot {
  readonly stateKey: string;
  /** cluster → its rings, one per tier. */
  readonly clusters: ReadonlyMap<string, readonly TierState[]>;
}

export function encodeStateSnapshot(snapshot: StateSnapshot): string {
  const clusters: unknown[] = [];
  for (const [cluster, tiers] of snapshot.clusters) {
    clusters.push([cluster, tiers.map(t => [t.head, encodeRuns(t.data)])]);
  }
  return JSON.stringify({ v: 1, k: snapshot.stateKey, c: clusters });
}

/**
 * `resolutions` are the tier widths the reader expects (the ring sizes come
 * from the run lengths).
 *
 * @throws SyntaxError when the payload is malformed.
 */
export function decodeStateSnapshot(
  payload: string,
  resolutions: readonly number[]
): StateSnapshot {
  const raw = JSON.parse(payload) as unknown;
  if (
    !isRecord(raw) ||
    raw['v'] !== 1 ||
    typeof raw['k'] !== 'string' ||
    !Array.isArray(raw['c'])
  ) {
    throw new SyntaxError(
      'cannot decode SLO state snapshot: want {"v":1,"k":…,"c":[…]}'
    );
  }
  const clusters = new Map<string, TierState[]>();
  for (const entry of raw['c'] as unknown[]) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      !Array.isArray(entry[1])
    ) {
      throw new SyntaxError(
        'cannot decode SLO state snapshot: bad cluster entry'
      );
    }
    const tiers = (entry[1] as unknown[]).map((tier, k): TierState => {
      if (
        !Array.isArray(tier) ||
        typeof tier[0] !== 'number' ||
        !isNumberArray(tier[1])
      ) {
        throw new SyntaxError(
          `cannot decode SLO state snapshot: bad tier ${k} of ${entry[0] as string}`
        );
      }
      return {
        resMs: resolutions[k] ?? 0,
        head: tier[0],
        data: decodeRuns(tier[1]),
      };
    });
    clusters.set(entry[0], tiers);
  }
  return { stateKey: raw['k'], clusters };
}

/** Zero runs of length k become −k; other values stay. */
export function encodeRuns(data: Float64Array): number[] {
  const out: number[] = [];
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === 0) {
      zeros++;
      continue;
    }
    if (zeros > 0) out.push(-zeros);
    zeros = 0;
    out.push(v);
  }
  if (zeros > 0) out.push(-zeros);
  return out;
}

export function decodeRuns(runs: readonly number[]): Float64Array {
  let length = 0;
  for (const r of runs) length += r < 0 ? -r : 1;
  if (length > 1 << 20)
    throw new SyntaxError(
      `cannot decode SLO state snapshot: ring of ${length} slots`
    );
  const out = new Float64Array(length);
  let at = 0;
  for (const r of runs) {
    if (r < 0) at += -r;
    else out[at++] = r;
  }
  return out;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isNumberArray(x: unknown): x is number[] {
  return (
    Array.isArray(x) &&
    x.every(v => typeof v === 'number' && Number.isFinite(v))
  );
}
