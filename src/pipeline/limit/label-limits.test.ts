import { describe, expect, it } from 'vitest';
import { defaultConfig, type LimitsConfig } from '../../config/index.js';
import { ClusterRegistry } from '../../fleet/index.js';
import {
  DropReason,
  SeriesBatch,
  labelsFromRecord,
} from '../../model/index.js';
import type { Identity } from '../identify.js';
import { StageTally } from '../stage.js';
import {
  LABEL_NAME_TOO_LONG_REASON,
  LABEL_VALUE_TOO_LONG_REASON,
  LabelLimits,
  TOO_MANY_LABELS_REASON,
} from './label-limits.js';

const registry = new ClusterRegistry([
  {
    name: 'prod',
    region: 'eu',
    env: 'prod',
    team: 'x',
    token: 'prod-token-0123456789',
    labels: {},
  },
  {
    name: 'dev',
    region: 'us',
    env: 'dev',
    team: 'y',
    token: 'dev-token-0123456789ab',
    labels: {},
  },
]);
const PROD: Identity = { kind: 'cluster', cluster: registry.byName('prod')! };
const DEV: Identity = { kind: 'cluster', cluster: registry.byName('dev')! };

function limitsWith(overrides: Partial<LimitsConfig>): LimitsConfig {
  return {
    ...defaultConfig().limits,
    max_label_names_per_series: 5,
    max_label_name_length: 10,
    max_label_value_length: 12,
    ...overrides,
  };
}

/** Runs one series through the stage; returns its reason (undefined when kept) and explanation. */
function check(
  limits: LimitsConfig,
  record: Record<string, string>,
  identity = PROD
): { reason?: string; text?: string } {
  const batch = new SeriesBatch();
  batch.addSeries(labelsFromRecord(record));
  batch.addSample(1, 1);
  const tally = new StageTally();
  new LabelLimits(limits).process(batch, {
    identity,
    protocol: 'remote_write_v1',
    receivedAtMs: 0,
    tally,
  });
  const key = [...tally.drops.keys()][0];
  if (key === undefined) {
    expect(batch.dropped[0]).toBe(0);
    return {};
  }
  expect(batch.dropped[0]).toBe(DropReason.LABEL_LIMIT);
  const reason = key.split('\x00')[1]!;
  return { reason, text: tally.reasonText(reason) };
}

describe('LabelLimits', () => {
  describe('process()', () => {
    const base = { __name__: 'up', cluster: 'prod' };
    it.each([
      [
        'keeps a series within every limit',
        { ...base, job: 'api' },
        undefined,
        undefined,
      ],
      [
        'counts __name__ among the labels',
        { ...base, a: '1', b: '2', c: '3', d: '4' },
        TOO_MANY_LABELS_REASON,
        /metric "up" has 6 labels, over max_label_names_per_series 5/,
      ],
      [
        'keeps exactly the maximum of labels',
        { ...base, a: '1', b: '2', c: '3' },
        undefined,
        undefined,
      ],
      [
        'drops a too long label name, naming it',
        { ...base, abcdefghijk: 'v' },
        LABEL_NAME_TOO_LONG_REASON,
        /label name "abcdefghijk" of 11 bytes, over max_label_name_length 10/,
      ],
      [
        'drops a too long label value, naming its label',
        { ...base, job: 'abcdefghijklm' },
        LABEL_VALUE_TOO_LONG_REASON,
        /value of label "job" of 13 bytes, over max_label_value_length 12/,
      ],
      [
        'applies the value limit to the metric name',
        { __name__: 'a_very_long_name', cluster: 'prod' },
        LABEL_VALUE_TOO_LONG_REASON,
        /metric "a_very_long_name" has a value of label "__name__"/,
      ],
      [
        'measures UTF-8 bytes, not characters',
        { ...base, job: 'ééééééé' },
        LABEL_VALUE_TOO_LONG_REASON,
        /of 14 bytes/,
      ],
      [
        'keeps multibyte text within the byte limit',
        { ...base, job: 'éééééé' },
        undefined,
        undefined,
      ],
    ])('%s', (_name, record, wantReason, wantText) => {
      const got = check(limitsWith({}), record);
      expect(got.reason).toBe(wantReason);
      if (wantText !== undefined) expect(got.text).toMatch(wantText);
      if (wantText !== undefined) expect(got.text).toContain('cluster "prod"');
    });

    it('treats 0 as unlimited', () => {
      const unlimited = limitsWith({
        max_label_names_per_series: 0,
        max_label_name_length: 0,
        max_label_value_length: 0,
      });
      expect(new LabelLimits(unlimited).isUnlimited).toBe(true);
      expect(
        check(unlimited, {
          __name__: 'x'.repeat(5000),
          a: '1',
          b: '2',
          c: '3',
          d: '4',
          e: '5',
        })
      ).toEqual({});
    });

    it('applies per-cluster overrides', () => {
      const limits = limitsWith({
        per_cluster: { dev: { max_label_value_length: 100 } },
      });
      const record = { __name__: 'up', job: 'abcdefghijklm' };
      expect(check(limits, record, PROD).reason).toBe(
        LABEL_VALUE_TOO_LONG_REASON
      );
      expect(check(limits, record, DEV)).toEqual({});
    });

    it('tallies every dropped series and its points, and keeps the rest', () => {
      const batch = new SeriesBatch();
      for (const job of [
        'ok',
        'abcdefghijklmnop',
        'fine',
        'abcdefghijklmnopq',
      ]) {
        batch.addSeries(labelsFromRecord({ __name__: 'up', job }));
        batch.addSample(1, 1);
        batch.addSample(1, 2);
      }
      const tally = new StageTally();
      new LabelLimits(limitsWith({})).process(batch, {
        identity: PROD,
        protocol: 'otlp',
        receivedAtMs: 0,
        tally,
      });
      expect([...batch.dropped.subarray(0, 4)]).toEqual([
        0,
        DropReason.LABEL_LIMIT,
        0,
        DropReason.LABEL_LIMIT,
      ]);
      expect(tally.drops.get(`prod\x00${LABEL_VALUE_TOO_LONG_REASON}`)).toEqual(
        [2, 4]
      );
    });
  });
});
