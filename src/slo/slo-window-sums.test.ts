import { describe, expect, it } from 'vitest';
import { SloCounters } from './slo-counters.js';
import { compileSlo, type SloSpec } from './slo-definition.js';
import { SloRuntime } from './slo-set.js';
import type { WindowsSnapshotSlo } from './slo-snapshot.js';
import { localSloSums, mergeSloSums, sloWarnings } from './slo-window-sums.js';
import { DAY_MS, MINUTE_MS, T0 } from '../../test/helpers/slo-fixtures.js';

const SPEC: SloSpec = {
  name: 'checkout-availability',
  service: 'checkout',
  objective: 0.999,
  window: 30 * DAY_MS,
  sli: {
    ratio: {
      bad: 'http_requests_total{code=~"5.."}',
      total: 'http_requests_total',
    },
  },
};
const LATENCY: SloSpec = {
  name: 'checkout-latency',
  service: 'checkout',
  objective: 0.99,
  window: 30 * DAY_MS,
  sli: {
    latency: { histogram: 'http_request_duration_seconds', threshold: 3e-7 },
  },
};
const DEF = compileSlo(SPEC);
const WIDTH = 2 * DEF.windowsMs.length;
const NOW = T0 + 10 * MINUTE_MS;

/** Window sums with A = a and T = t in every window. */
function sums(a: number, t: number): Float64Array {
  const out = new Float64Array(WIDTH);
  for (let i = 0; i < WIDTH; i += 2) {
    out[i] = a;
    out[i + 1] = t;
  }
  return out;
}

function published(
  clusters: [string, Float64Array][],
  extra: Partial<WindowsSnapshotSlo> = {}
): WindowsSnapshotSlo {
  return {
    name: DEF.name,
    fingerprint: DEF.fingerprint,
    le: [],
    hasTotal: true,
    clusters: new Map(clusters),
    ...extra,
  };
}

describe('mergeSloSums()', () => {
  it('sums every replica cluster by cluster, clusters sorted', () => {
    const merged = mergeSloSums(
      DEF,
      [
        { replicaId: 'a', sums: published([['y', sums(1, 10)]]) },
        {
          replicaId: 'b',
          sums: published([
            ['y', sums(2, 20)],
            ['x', sums(0, 5)],
          ]),
        },
      ],
      [],
      NOW
    );
    expect([...merged.clusters.keys()]).toEqual(['x', 'y']);
    expect(merged.clusters.get('y')).toEqual(sums(3, 30));
    expect(merged.warnings).toEqual(DEF.staticWarnings);
  });

  it('leaves out a replica with another definition and says so', () => {
    const merged = mergeSloSums(
      DEF,
      [
        { replicaId: 'a', sums: published([['x', sums(1, 10)]]) },
        {
          replicaId: 'b',
          sums: published([['x', sums(5, 5)]], { fingerprint: 'other' }),
        },
      ],
      [],
      NOW
    );
    expect(merged.clusters.get('x')).toEqual(sums(1, 10));
    expect(merged.warnings.at(-1)).toMatch(
      /^replica "b" runs a different definition of this SLO/
    );
  });

  it('skips sums of the wrong width (a replica with other windows)', () => {
    const merged = mergeSloSums(
      DEF,
      [{ replicaId: 'a', sums: published([['x', new Float64Array(2)]]) }],
      [],
      NOW
    );
    expect(merged.clusters.size).toBe(0);
  });

  it("adds a gone replica's bucket state of the same definition only", () => {
    const counters = new SloCounters(DEF.windowMs);
    counters.add(NOW - MINUTE_MS, 1, 40);
    counters.add(NOW - MINUTE_MS, 0, 4);
    const state = new Map([['x', counters]]);
    const merged = mergeSloSums(
      DEF,
      [{ replicaId: 'a', sums: published([['x', sums(1, 10)]]) }],
      [
        { stateKey: DEF.stateKey, counters: state },
        { stateKey: 'another', counters: state },
      ],
      NOW
    );
    expect(merged.clusters.get('x')).toEqual(sums(5, 50));
  });

  it('unions the le values and the total flag of the replicas', () => {
    const def = compileSlo(LATENCY);
    const entry = (le: string[], hasTotal: boolean): WindowsSnapshotSlo => ({
      name: def.name,
      fingerprint: def.fingerprint,
      le,
      hasTotal,
      clusters: new Map(),
    });
    const merged = mergeSloSums(
      def,
      [
        { replicaId: 'a', sums: entry(['0.0000001'], false) },
        { replicaId: 'b', sums: entry(['0.0000003'], true) },
      ],
      [],
      NOW
    );
    expect(merged.warnings).toEqual(def.staticWarnings);
  });
});

describe('localSloSums()', () => {
  it("is this replica's counters as window sums", () => {
    const slo = new SloRuntime(DEF);
    const counters = new SloCounters(DEF.windowMs);
    counters.add(NOW - MINUTE_MS, 1, 7);
    slo.counters.set('x', counters);
    slo.hasTotal = true;
    expect(localSloSums(slo, NOW).clusters.get('x')).toEqual(sums(0, 7));
  });
});

describe('sloWarnings()', () => {
  const def = compileSlo(LATENCY);

  it('names the threshold as formatLe writes it when no bound matches', () => {
    const [warning] = sloWarnings(
      def,
      new Set(['0.0000001', '0.000001']),
      true,
      []
    ).slice(def.staticWarnings.length);
    expect(warning).toMatch(
      /^the threshold 0\.0000003 is not one of the bucket bounds seen on .* \(0\.0000001, 0\.000001\)/
    );
  });

  it('says when nothing matched yet', () => {
    expect(
      sloWarnings(def, new Set(), false, []).slice(def.staticWarnings.length)
    ).toEqual([
      expect.stringMatching(
        /^no series matching .* seen yet: the threshold 0\.0000003 cannot be checked/
      ),
      expect.stringMatching(
        /^no series matching the total selector .* seen yet$/
      ),
    ]);
  });
});
