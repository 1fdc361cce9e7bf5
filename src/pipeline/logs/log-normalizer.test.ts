import { describe, expect, it } from 'vitest';
import {
  normalizeRegistry,
  normalizeOptions,
  prodEuIdentity,
  devUsIdentity,
} from '../../../test/helpers/normalize-fixtures.js';
import {
  buildLogBatch,
  type SpecValue,
} from '../../../test/helpers/otlp-logs-fixtures.js';
import type { LogAnyValue } from '../../model/index.js';
import type { Identity } from '../identify.js';
import { StageTally } from '../stage.js';
import { LogNormalizer } from './log-normalizer.js';

const registry = normalizeRegistry;
const normalizer = new LogNormalizer(registry, normalizeOptions);
const prodEu = prodEuIdentity;
const devUs = devUsIdentity;
const anonymous: Identity = { kind: 'anonymous' };

function run(identity: Identity, attributes: Record<string, SpecValue>) {
  const batch = buildLogBatch([
    {
      attributes,
      records: [{ body: 'line', attributes: { cluster: 'record-level' } }],
    },
  ]);
  const tally = new StageTally();
  normalizer.normalize(batch, identity, tally);
  const resource = batch.resources[0]!;
  const out: Record<string, LogAnyValue> = {};
  for (const { key, value } of resource.attributes) {
    expect(out[key], `duplicate attribute ${key}`).toBeUndefined();
    out[key] = value;
  }
  const conflicts = [...tally.conflicts].map(
    ([key, n]) => `${key.replace('\x00', '/')}=${n}`
  );
  return {
    out,
    cluster: resource.cluster,
    conflicts,
    record: batch.records[0]!,
  };
}

describe('LogNormalizer', () => {
  it.each<
    [
      string,
      Identity,
      Record<string, SpecValue>,
      Record<string, LogAnyValue>,
      string[],
    ]
  >([
    [
      'stamps the token cluster and its registry values',
      prodEu,
      { 'service.name': 'checkout' },
      {
        'service.name': 'checkout',
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      },
      [],
    ],
    [
      'folds k8s.cluster.name and the other aliases in and removes them',
      prodEu,
      {
        'k8s.cluster.name': 'prod-eu',
        'cloud.region': 'eu-west-1',
        'deployment.environment.name': 'prod',
        app: 'a',
      },
      {
        app: 'a',
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      },
      [],
    ],
    [
      'overwrites conflicting sent values and counts each',
      prodEu,
      { 'k8s.cluster.name': 'prod-us', region: 'mars', env: 'prod' },
      {
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      },
      ['prod-eu/cluster=1', 'prod-eu/region=1'],
    ],
    [
      'lets the canonical name win over an alias',
      prodEu,
      { k8s_cluster: 'other', cluster: 'prod-eu' },
      {
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
        team: 'payments',
      },
      [],
    ],
    [
      'never lets a token cluster claim another registered cluster',
      devUs,
      { 'k8s.cluster.name': 'prod-eu' },
      {
        tier: 'gold',
        cluster: 'dev-us',
        region: 'us-east-1',
        env: 'dev',
        team: 'unknown',
      },
      ['dev-us/cluster=1'],
    ],
    [
      'takes an anonymous cluster from k8s.cluster.name and the rest from the registry',
      anonymous,
      { 'k8s.cluster.name': 'dev-us' },
      {
        tier: 'gold',
        cluster: 'dev-us',
        region: 'us-east-1',
        env: 'dev',
        team: 'unknown',
      },
      [],
    ],
    [
      'keeps what an unregistered anonymous cluster says and fills the gaps',
      anonymous,
      { 'k8s.cluster.name': 'lab', 'deployment.environment': 'test' },
      { cluster: 'lab', region: 'unknown', env: 'test', team: 'unknown' },
      [],
    ],
    [
      'names anonymous data that names no cluster unknown',
      anonymous,
      { 'service.name': 'x' },
      {
        'service.name': 'x',
        cluster: 'unknown',
        region: 'unknown',
        env: 'unknown',
        team: 'unknown',
      },
      [],
    ],
    [
      'ignores an empty alias value',
      anonymous,
      { 'k8s.cluster.name': '', cluster_name: 'lab' },
      { cluster: 'lab', region: 'unknown', env: 'unknown', team: 'unknown' },
      [],
    ],
    [
      'renders a non-string canonical value as text',
      anonymous,
      { 'k8s.cluster.name': 42 },
      { cluster: '42', region: 'unknown', env: 'unknown', team: 'unknown' },
      [],
    ],
  ])('%s', (_name, identity, attributes, want, wantConflicts) => {
    const { out, cluster, conflicts } = run(identity, attributes);
    expect(out).toEqual(want);
    expect(cluster).toBe(want['cluster']);
    expect(conflicts).toEqual(wantConflicts);
  });

  it('leaves record attributes alone', () => {
    const { record } = run(prodEu, {});
    expect(record.attributes).toEqual([
      { key: 'cluster', value: 'record-level' },
    ]);
  });

  it('normalizes each resource of a request on its own', () => {
    const batch = buildLogBatch([
      {
        attributes: { 'k8s.cluster.name': 'dev-us' },
        records: [{ body: 'a' }],
      },
      { attributes: { 'k8s.cluster.name': 'lab' }, records: [{ body: 'b' }] },
    ]);
    normalizer.normalize(batch, anonymous, new StageTally());
    expect(batch.resources.map(r => r.cluster)).toEqual(['dev-us', 'lab']);
  });
});
