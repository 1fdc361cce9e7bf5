import { describe, expect, it } from 'vitest';
import { LogNormalizer } from './logs/log-normalizer.js';
import { buildLogBatch } from '../../test/helpers/otlp-logs-fixtures.js';
import {
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../model/index.js';
import { CanonicalLabelResolver } from './canonical-label-resolver.js';
import type { Identity } from './identify.js';
import { NormalizeLabels } from './normalize-labels.js';
import { StageTally } from './stage.js';
import {
  normalizeOptions,
  normalizeRegistry,
  prodEuIdentity,
} from '../../test/helpers/normalize-fixtures.js';

const CANONICAL = ['cluster', 'region', 'env', 'team'] as const;

function canonicalOf(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(CANONICAL.map(name => [name, values[name]]));
}

function seriesCanonical(identity: Identity, sent: Record<string, string>) {
  const batch = new SeriesBatch();
  batch.addSeries(labelsFromRecord({ __name__: 'up', ...sent }));
  batch.addSample(1, 1000);
  const tally = new StageTally();
  new NormalizeLabels(normalizeRegistry, normalizeOptions).process(batch, {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally,
  });
  return { values: canonicalOf(labelsToRecord(batch.labels[0]!)), tally };
}

function resourceCanonical(identity: Identity, sent: Record<string, string>) {
  const batch = buildLogBatch([
    { attributes: sent, records: [{ body: 'line' }] },
  ]);
  const tally = new StageTally();
  new LogNormalizer(normalizeRegistry, normalizeOptions).normalize(
    batch,
    identity,
    tally
  );
  const attributes = Object.fromEntries(
    batch.resources[0]!.attributes.map(a => [a.key, a.value])
  );
  return { values: canonicalOf(attributes), tally };
}

describe('one normalization rule for series labels and log resources', () => {
  const cases: [string, Identity, Record<string, string>][] = [
    [
      'a token overrides what the data says',
      prodEuIdentity,
      {
        cluster: 'other',
        'cloud.region': 'us-west-2',
      },
    ],
    [
      'anonymous data names its cluster through an alias',
      { kind: 'anonymous' },
      {
        'k8s.cluster.name': 'dev-us',
      },
    ],
    [
      'the canonical name wins over its alias',
      { kind: 'anonymous' },
      {
        'k8s.cluster.name': 'prod-eu',
        cluster: 'dev-us',
      },
    ],
    [
      'unregistered anonymous data keeps what it says',
      { kind: 'anonymous' },
      {
        cluster: 'edge-1',
        region: 'mars-1',
      },
    ],
    ['anonymous data that names no cluster', { kind: 'anonymous' }, {}],
  ];
  it.each(cases)('%s', (_name, identity, sent) => {
    const series = seriesCanonical(identity, sent);
    const resource = resourceCanonical(identity, sent);
    expect(resource.values).toEqual(series.values);
    expect(resource.tally.conflicts).toEqual(series.tally.conflicts);
  });
});

describe('CanonicalLabelResolver', () => {
  it('forgets the previous label set at begin()', () => {
    const resolver = new CanonicalLabelResolver(
      normalizeRegistry,
      normalizeOptions
    );
    resolver.begin();
    resolver.offer(
      resolver.indexOf('k8s.cluster.name')!,
      'k8s.cluster.name',
      'dev-us'
    );
    resolver.offer(resolver.indexOf('region')!, 'region', 'nowhere');
    const first = resolver.resolve(normalizeRegistry.byName('prod-eu'));
    expect(first.conflicts).toEqual(['cluster', 'region']);
    resolver.begin();
    const second = resolver.resolve(undefined);
    expect(second.cluster).toBe('unknown');
    expect(second.conflicts).toEqual([]);
  });
});
