import { describe, expect, it } from 'vitest';
import {
  normalizeRegistry,
  normalizeOptions,
  prodEuIdentity,
} from '../../test/helpers/normalize-fixtures.js';
import {
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../model/index.js';
import type { Identity } from './identify.js';
import { NormalizeLabels } from './normalize-labels.js';
import { StageTally, type StageContext } from './stage.js';

const registry = normalizeRegistry;
const normalize = new NormalizeLabels(registry, normalizeOptions);

function run(
  identity: Identity,
  ...series: Record<string, string>[]
): { out: Record<string, string>[]; tally: StageTally } {
  const batch = new SeriesBatch();
  for (const labels of series) {
    batch.addSeries(labelsFromRecord(labels));
    batch.addSample(1, 1000);
  }
  const tally = new StageTally();
  const context: StageContext = {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally,
  };
  normalize.process(batch, context);
  const out: Record<string, string>[] = [];
  for (let i = 0; i < batch.seriesCount; i++) {
    const labels = batch.labels[i]!;
    const names = labels.filter((_, j) => j % 2 === 0);
    expect(names).toEqual([...names].sort());
    out.push(labelsToRecord(labels));
  }
  return { out, tally };
}

const prodEu = prodEuIdentity;

describe('NormalizeLabels', () => {
  describe('with a token-identified cluster', () => {
    it('stamps cluster, region, env and team from the registry', () => {
      const { out } = run(prodEu, { __name__: 'up', job: 'node' });
      expect(out[0]).toEqual({
        __name__: 'up',
        job: 'node',
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      });
    });

    it('folds aliases in and removes them', () => {
      const { out, tally } = run(prodEu, {
        __name__: 'up',
        k8s_cluster: 'prod-eu',
        cluster_name: 'prod-eu',
        environment: 'prod',
      });
      expect(out[0]).toEqual({
        __name__: 'up',
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      });
      expect(tally.conflicts.size).toBe(0);
    });

    it('overwrites a conflicting sender value and counts it', () => {
      const { out, tally } = run(
        prodEu,
        { __name__: 'up', cluster: 'prod-us' },
        { __name__: 'up', k8s_cluster: 'someone-else', region: 'mars' }
      );
      expect(out.map(o => o['cluster'])).toEqual(['prod-eu', 'prod-eu']);
      expect(out[1]!['region']).toBe('eu-west-1');
      expect(tally.conflicts.get('prod-eu\x00cluster')).toBe(2);
      expect(tally.conflicts.get('prod-eu\x00region')).toBe(1);
    });
  });

  describe('with anonymous data', () => {
    it('takes the cluster from the data and the rest from the registry', () => {
      const { out } = run(
        { kind: 'anonymous' },
        { __name__: 'up', kubernetes_cluster: 'dev-us' }
      );
      expect(out[0]).toEqual({
        __name__: 'up',
        cluster: 'dev-us',
        region: 'us-east-1',
        env: 'dev',
        team: 'unknown',
        tier: 'gold',
      });
    });

    it('keeps what an unregistered cluster says about itself and fills the gaps', () => {
      const { out } = run(
        { kind: 'anonymous' },
        { __name__: 'up', cluster_name: 'lab', environment: 'test' },
        { __name__: 'up' }
      );
      expect(out[0]).toEqual({
        __name__: 'up',
        cluster: 'lab',
        region: 'unknown',
        env: 'test',
        team: 'unknown',
      });
      expect(out[1]!['cluster']).toBe('unknown');
    });

    it('prefers the canonical name over an alias when both are sent', () => {
      const { out } = run(
        { kind: 'anonymous' },
        { __name__: 'up', cluster: 'dev-us', k8s_cluster: 'other' }
      );
      expect(out[0]!['cluster']).toBe('dev-us');
      expect(out[0]!['k8s_cluster']).toBeUndefined();
    });
  });

  it('leaves dropped series alone', () => {
    const batch = new SeriesBatch();
    batch.addSeries(labelsFromRecord({ __name__: 'up' }));
    batch.dropped[0] = 1;
    normalize.process(batch, {
      identity: prodEu,
      protocol: 'otlp',
      receivedAtMs: 0,
      tally: new StageTally(),
    });
    expect(labelsToRecord(batch.labels[0]!)).toEqual({ __name__: 'up' });
  });
});

describe('NormalizeLabels memoization of stable series', () => {
  function stableBatch(labels: string[]): SeriesBatch {
    const batch = new SeriesBatch();
    batch.addSeries(labels);
    batch.stable[0] = 1;
    batch.addSample(1, 1);
    return batch;
  }

  it('returns the same output for the same stable input, and counts conflicts on every hit', () => {
    const input = labelsFromRecord({ __name__: 'up', cluster: 'other' });
    const outputs: string[][] = [];
    let conflicts = 0;
    for (let i = 0; i < 3; i++) {
      const batch = stableBatch(input);
      const tally = new StageTally();
      normalize.process(batch, {
        identity: prodEu,
        protocol: 'remote_write_v1',
        receivedAtMs: 0,
        tally,
      });
      outputs.push(batch.labels[0]!);
      conflicts += tally.conflicts.get('prod-eu\x00cluster') ?? 0;
    }
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
    expect(conflicts).toBe(3);
    expect(labelsToRecord(input)).toEqual({ __name__: 'up', cluster: 'other' });
  });

  it('keeps one output per identity for the same input', () => {
    const input = labelsFromRecord({ __name__: 'up' });
    const fromToken = stableBatch(input);
    normalize.process(fromToken, {
      identity: prodEu,
      protocol: 'otlp',
      receivedAtMs: 0,
      tally: new StageTally(),
    });
    const anonymous = stableBatch(input);
    normalize.process(anonymous, {
      identity: { kind: 'anonymous' },
      protocol: 'otlp',
      receivedAtMs: 0,
      tally: new StageTally(),
    });
    expect(labelsToRecord(fromToken.labels[0]!)['cluster']).toBe('prod-eu');
    expect(labelsToRecord(anonymous.labels[0]!)['cluster']).toBe('unknown');
  });
});
