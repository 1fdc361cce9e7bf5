/**
 * Stable label arrays (the decoder's series cache hands the same array out
 * for every request of a series) are memo keys for every stage, so no stage
 * may mutate one: if HA dedup stripped the replica label in place, the next
 * request of that series would no longer carry it and dedup would silently
 * stop. This runs the real stages twice over the same stable arrays.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/index.js';
import { ClusterRegistry } from '../../src/fleet/index.js';
import {
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../../src/model/index.js';
import {
  CardinalityLimiter,
  HaDeduplicator,
  NormalizeLabels,
  Pipeline,
  Relabel,
  StageTally,
  type Identity,
} from '../../src/pipeline/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

describe('stable label arrays', () => {
  it('are never mutated by the stages, so a second request is treated like the first', async () => {
    const config = parseConfig(
      `clusters: [{name: prod-eu, region: eu, env: prod, team: a, token: prod-eu-token-0123456789}]
relabel_configs: [{target_label: tier, replacement: gold}]`,
      {}
    );
    const registry = new ClusterRegistry(config.clusters);
    const store = new MemoryStateStore();
    const metrics = new Registry();
    const pipeline = new Pipeline([
      new NormalizeLabels(registry, {
        aliases: defaultConfig().normalize.aliases,
        unknownCluster: 'unknown',
      }),
      new HaDeduplicator(config.ha, store, metrics),
      new Relabel(config.relabel_configs, new Map()),
      new CardinalityLimiter(config.limits, { registry: metrics }),
    ]);
    const identity: Identity = {
      kind: 'cluster',
      cluster: registry.byName('prod-eu')!,
    };
    const input = labelsFromRecord({
      __name__: 'up',
      __replica__: 'prom-0',
      k8s_cluster: 'prod-eu',
      job: 'node',
    });
    const frozen = [...input];

    const outputs: Record<string, string>[] = [];
    for (let request = 0; request < 2; request++) {
      const batch = new SeriesBatch();
      batch.addSeries(input);
      batch.stable[0] = 1;
      batch.addSample(request, 1000 + request);
      await pipeline.run(batch, {
        identity,
        protocol: 'remote_write_v1',
        receivedAtMs: 1000 + request,
        tally: new StageTally(),
      });
      expect(batch.dropped[0]).toBe(0);
      outputs.push(labelsToRecord(batch.labels[0]!));
    }
    expect(input).toEqual(frozen);
    const want = {
      __name__: 'up',
      job: 'node',
      cluster: 'prod-eu',
      region: 'eu',
      env: 'prod',
      team: 'a',
      tier: 'gold',
    };
    expect(outputs).toEqual([want, want]);
  });
});
