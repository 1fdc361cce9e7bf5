import { describe, expect, it } from 'vitest';
import { StateKeys, escapeKeyPart } from '../../../src/state/index.js';

const T0 = Date.UTC(2030, 0, 1);
const T0_S = T0 / 1000;

/** The hash tag Redis Cluster hashes: text between the first { and the next }. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return key.slice(open + 1, close);
}

describe('StateKeys', () => {
  const keys = new StateKeys('fleetgate');

  describe('activeSeries()', () => {
    it.each([
      [
        'prod-eu',
        undefined,
        `fleetgate:{c:prod-eu}:hll:series:${T0_S}`,
        'c:prod-eu',
      ],
      [
        'prod-eu',
        'up',
        `fleetgate:{c:prod-eu}:hll:metric:up:${T0_S}`,
        'c:prod-eu',
      ],
      [undefined, 'up', `fleetgate:{m:up}:hll:${T0_S}`, 'm:up'],
      [undefined, undefined, `fleetgate:{fleet}:hll:series:${T0_S}`, 'fleet'],
      [
        'a{b}',
        'x}',
        `fleetgate:{c:a%7Bb%7D}:hll:metric:x%7D:${T0_S}`,
        'c:a%7Bb%7D',
      ],
    ])('names cluster %s metric %s as %s', (cluster, metric, key, tag) => {
      const got = keys.activeSeries(cluster, metric, T0 + 59_999);
      expect(got).toEqual({ key, tag });
      expect(hashTag(got.key)).toBe(tag);
    });

    it('keeps every bucket of one set under one hash tag', () => {
      const tags = new Set(
        [0, 60_000, 3_600_000].map(d =>
          hashTag(keys.activeSeries('prod-eu', 'up', T0 + d).key)
        )
      );
      expect(tags).toEqual(new Set(['c:prod-eu']));
    });
  });

  it.each([
    [
      'tokenBucket',
      'ingest:prod-eu',
      'fleetgate:{b:ingest:prod-eu}:tokens',
      'b:ingest:prod-eu',
    ],
    ['haElection', 'prod-eu', 'fleetgate:{c:prod-eu}:ha', 'c:prod-eu'],
    [
      'snapshots',
      'cardinality',
      'fleetgate:{s:cardinality}:snapshots',
      's:cardinality',
    ],
  ] as const)('%s(%s) is %s', (method, name, key, tag) => {
    const got = keys[method](name);
    expect(got).toEqual({ key, tag });
    expect(hashTag(got.key)).toBe(tag);
  });

  it('escapes glob characters of the prefix in matchPattern()', () => {
    expect(new StateKeys('fg-test').matchPattern()).toBe('fg-test:*');
    expect(new StateKeys('a*b?[c]').matchPattern()).toBe('a\\*b\\?\\[c\\]:*');
  });

  it.each(['', 'a{b', 'a}b'])('refuses the prefix %j', prefix => {
    expect(() => new StateKeys(prefix)).toThrow(RangeError);
  });
});

describe('escapeKeyPart()', () => {
  it.each([
    ['plain', 'plain'],
    ['a{b}c', 'a%7Bb%7Dc'],
    ['100%', '100%25'],
    ['%7B', '%257B'],
  ])('escapes %j as %j', (name, want) => {
    expect(escapeKeyPart(name)).toBe(want);
  });
});
