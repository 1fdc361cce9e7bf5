import { describe, expect, it } from 'vitest';
import type { RelabelRuleConfig } from '../config/index.js';
import {
  SeriesBatch,
  labelsFromRecord,
  labelsToRecord,
} from '../model/index.js';
import {
  Relabel,
  compileRelabelRule,
  hashmodOf,
  relabelRecord,
  validateRelabelRule,
} from './relabel.js';
import { StageTally } from './stage.js';

type Labels = Record<string, string>;

function check(
  rules: RelabelRuleConfig[],
  input: Labels,
  want: Labels | 'dropped'
): void {
  const got = relabelRecord(
    rules.map(compileRelabelRule),
    labelsFromRecord(input)
  );
  expect(got === undefined ? 'dropped' : labelsToRecord(got)).toEqual(want);
}

const base = { __name__: 'up', job: 'node', instance: 'host-1:9100' };

describe('relabel rules', () => {
  it.each<[string, RelabelRuleConfig[], Labels, Labels | 'dropped']>([
    // replace
    [
      'replace with every default copies the source',
      [{ source_labels: ['job'], target_label: 'service' }],
      base,
      { ...base, service: 'node' },
    ],
    [
      'replace expands numbered groups',
      [
        {
          source_labels: ['instance'],
          regex: '(.*):(\\d+)',
          target_label: 'host',
          replacement: '$1',
        },
      ],
      base,
      { ...base, host: 'host-1' },
    ],
    [
      'replace with ${1} braces',
      [
        {
          source_labels: ['instance'],
          regex: '(.*):(\\d+)',
          target_label: 'port',
          replacement: 'p${2}x',
        },
      ],
      base,
      { ...base, port: 'p9100x' },
    ],
    [
      'replace reads $2x as a group named "2x" (Go), which is empty, deleting the target',
      [
        {
          source_labels: ['instance'],
          regex: '(.*):(\\d+)',
          target_label: 'job',
          replacement: '$2x',
        },
      ],
      base,
      { __name__: 'up', instance: 'host-1:9100' },
    ],
    [
      'replace with $$ writes a dollar',
      [{ source_labels: ['job'], target_label: 'price', replacement: '$$$1' }],
      base,
      { ...base, price: '$node' },
    ],
    [
      'replace does nothing when the regex does not match',
      [
        {
          source_labels: ['job'],
          regex: 'api',
          target_label: 'job',
          replacement: 'x',
        },
      ],
      base,
      base,
    ],
    [
      'replace is fully anchored',
      [
        {
          source_labels: ['job'],
          regex: 'nod',
          target_label: 'matched',
          replacement: 'yes',
        },
      ],
      base,
      base,
    ],
    [
      'replace with an empty result deletes the target',
      [{ source_labels: ['missing'], target_label: 'job' }],
      base,
      { __name__: 'up', instance: 'host-1:9100' },
    ],
    [
      'replace fast path sets a literal even from empty sources',
      [{ target_label: 'tier', replacement: 'gold' }],
      base,
      { ...base, tier: 'gold' },
    ],
    [
      'replace expands the target label name',
      [
        {
          source_labels: ['job'],
          regex: '(.*)',
          target_label: '${1}_name',
          replacement: 'v',
        },
      ],
      base,
      { ...base, node_name: 'v' },
    ],
    [
      'replace skips an expanded target that is not a label name',
      [
        {
          source_labels: ['instance'],
          regex: '(.*)',
          target_label: '$1',
          replacement: 'v',
        },
      ],
      base,
      base,
    ],
    [
      'replace supports named groups',
      [
        {
          source_labels: ['instance'],
          regex: '(?P<host>[^:]+):.*',
          target_label: 'host',
          replacement: '${host}',
        },
      ],
      base,
      { ...base, host: 'host-1' },
    ],
    [
      'missing source labels join as empty',
      [
        {
          source_labels: ['job', 'nope'],
          target_label: 'joined',
          regex: '(.*)',
          replacement: '[$1]',
        },
      ],
      base,
      { ...base, joined: '[node;]' },
    ],
    [
      'a custom separator joins the sources',
      [
        {
          source_labels: ['job', 'instance'],
          separator: '/',
          target_label: 'id',
        },
      ],
      base,
      { ...base, id: 'node/host-1:9100' },
    ],
    [
      'dot matches a newline, as in (?s:…)',
      [{ source_labels: ['msg'], regex: 'a.b', action: 'drop' }],
      { ...base, msg: 'a\nb' },
      'dropped',
    ],
    [
      '(?i) makes the match case-insensitive',
      [{ source_labels: ['job'], regex: '(?i)NODE', action: 'drop' }],
      base,
      'dropped',
    ],
    [
      'POSIX classes are understood',
      [{ source_labels: ['job'], regex: '[[:alpha:]]+', action: 'keep' }],
      base,
      base,
    ],
    // keep / drop
    [
      'keep keeps a match',
      [{ source_labels: ['job'], regex: 'node|api', action: 'keep' }],
      base,
      base,
    ],
    [
      'keep drops a non-match',
      [{ source_labels: ['job'], regex: 'api', action: 'keep' }],
      base,
      'dropped',
    ],
    [
      'drop drops a match',
      [{ source_labels: ['__name__'], regex: 'up', action: 'drop' }],
      base,
      'dropped',
    ],
    [
      'drop keeps a non-match',
      [{ source_labels: ['__name__'], regex: 'u', action: 'drop' }],
      base,
      base,
    ],
    [
      'keep with no sources matches the empty string',
      [{ action: 'keep', regex: '' }],
      base,
      base,
    ],
    // keepequal / dropequal
    [
      'keepequal keeps equal values',
      [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
      { ...base, a: 'x', b: 'x' },
      { ...base, a: 'x', b: 'x' },
    ],
    [
      'keepequal drops different values',
      [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }],
      { ...base, a: 'x', b: 'y' },
      'dropped',
    ],
    [
      'dropequal drops equal values',
      [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }],
      { ...base, a: 'x', b: 'x' },
      'dropped',
    ],
    [
      'dropequal keeps different values',
      [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }],
      { ...base, a: 'x', b: 'y' },
      { ...base, a: 'x', b: 'y' },
    ],
    // hashmod
    [
      'hashmod takes md5[8:16] big-endian modulo',
      [
        {
          source_labels: ['id'],
          target_label: 'shard',
          modulus: 1000,
          action: 'hashmod',
        },
      ],
      { ...base, id: 'foo' },
      { ...base, id: 'foo', shard: '696' },
    ],
    [
      'hashmod over joined sources',
      [
        {
          source_labels: ['a', 'b'],
          target_label: 'shard',
          modulus: 8,
          action: 'hashmod',
        },
      ],
      { ...base, a: 'prod-eu', b: 'node-1' },
      { ...base, a: 'prod-eu', b: 'node-1', shard: '6' },
    ],
    // labelmap
    [
      'labelmap copies matching names',
      [{ regex: 'k8s_(.+)', action: 'labelmap' }],
      { ...base, k8s_pod: 'p1', k8s_ns: 'n1' },
      { ...base, k8s_pod: 'p1', k8s_ns: 'n1', pod: 'p1', ns: 'n1' },
    ],
    [
      'labelmap with a replacement template',
      [{ regex: 'k8s_(.+)', replacement: 'kube_$1', action: 'labelmap' }],
      { ...base, k8s_pod: 'p1' },
      { ...base, k8s_pod: 'p1', kube_pod: 'p1' },
    ],
    // labeldrop / labelkeep
    [
      'labeldrop removes matching names',
      [{ regex: 'instance|job', action: 'labeldrop' }],
      base,
      { __name__: 'up' },
    ],
    [
      'labelkeep keeps only matching names',
      [{ regex: '__name__|job', action: 'labelkeep' }],
      base,
      { __name__: 'up', job: 'node' },
    ],
    // case
    [
      'lowercase',
      [
        {
          source_labels: ['instance'],
          target_label: 'lower',
          action: 'lowercase',
        },
      ],
      { ...base, instance: 'HOST-1' },
      { ...base, instance: 'HOST-1', lower: 'host-1' },
    ],
    [
      'uppercase',
      [{ source_labels: ['job'], target_label: 'upper', action: 'uppercase' }],
      base,
      { ...base, upper: 'NODE' },
    ],
    // order and scratch space
    [
      'rules apply in order and a drop stops them',
      [
        { target_label: 'a', replacement: '1' },
        { source_labels: ['a'], regex: '1', action: 'drop' },
        { target_label: 'b', replacement: '2' },
      ],
      base,
      'dropped',
    ],
    [
      '__tmp labels are scratch space and never leave',
      [
        { source_labels: ['job'], target_label: '__tmp_job' },
        { source_labels: ['__tmp_job'], target_label: 'svc' },
      ],
      base,
      { ...base, svc: 'node' },
    ],
  ])('%s', (_name, rules, input, want) => {
    check(rules, input, want);
  });
});

describe('validateRelabelRule()', () => {
  it.each<[RelabelRuleConfig, string]>([
    [{ regex: '(' }, 'regex: cannot compile'],
    [{ action: 'replace' }, 'target_label: required for action replace'],
    [
      { action: 'hashmod', target_label: 'x' },
      'modulus: required for action hashmod',
    ],
    [
      { action: 'lowercase', target_label: 'x', replacement: 'y' },
      'replacement: must not be set for action lowercase',
    ],
    [
      { action: 'keepequal', target_label: 'x', regex: 'a' },
      'regex: must not be set for action keepequal',
    ],
    [
      { action: 'labeldrop', regex: 'a', target_label: 'x' },
      'target_label: action labeldrop takes only regex',
    ],
    [
      { action: 'replace', target_label: 'bad-name' },
      'target_label: "bad-name" is not a valid label name',
    ],
  ])('explains %j', (rule, problem) => {
    expect(validateRelabelRule(rule).join('\n')).toContain(problem);
  });

  it('accepts a rule with every default', () => {
    expect(validateRelabelRule({ target_label: 'x' })).toEqual([]);
  });
});

describe('hashmodOf()', () => {
  it('matches Prometheus for the empty string', () => {
    expect(hashmodOf('', 3)).toBe(1);
  });
});

describe('Relabel stage', () => {
  it('keeps the canonical labels out of reach and counts drops by cluster', () => {
    const stage = new Relabel(
      [
        { target_label: 'cluster', replacement: 'elsewhere' },
        { regex: 'region', action: 'labeldrop' },
        { source_labels: ['job'], regex: 'debug', action: 'drop' },
      ],
      new Map([['prod-eu', [{ target_label: 'local', replacement: 'yes' }]]])
    );
    const batch = new SeriesBatch();
    const canonical = {
      cluster: 'prod-eu',
      region: 'eu',
      env: 'prod',
      team: 'a',
    };
    batch.addSeries(
      labelsFromRecord({ __name__: 'up', job: 'node', ...canonical })
    );
    batch.addSample(1, 1);
    batch.addSeries(
      labelsFromRecord({ __name__: 'up', job: 'debug', ...canonical })
    );
    batch.addSample(1, 1);
    batch.addSample(2, 2);
    const tally = new StageTally();
    stage.process(batch, {
      identity: { kind: 'anonymous' },
      protocol: 'otlp',
      receivedAtMs: 0,
      tally,
    });
    expect(labelsToRecord(batch.labels[0]!)).toEqual({
      __name__: 'up',
      job: 'node',
      local: 'yes',
      ...canonical,
    });
    expect(batch.dropped[1]).not.toBe(0);
    expect(tally.drops.get('prod-eu\x00relabel')).toEqual([1, 2]);
  });

  it('drops a series whose metric name was removed', () => {
    const stage = new Relabel(
      [{ regex: '__name__', action: 'labeldrop' }],
      new Map()
    );
    const batch = new SeriesBatch();
    batch.addSeries(labelsFromRecord({ __name__: 'up', cluster: 'c' }));
    stage.process(batch, {
      identity: { kind: 'anonymous' },
      protocol: 'otlp',
      receivedAtMs: 0,
      tally: new StageTally(),
    });
    expect(batch.dropped[0]).not.toBe(0);
  });
});
