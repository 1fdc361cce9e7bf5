import { describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToRecord } from '../../model/index.js';
import { createRandom } from '../../../test/helpers/otlp-reference.js';
import type { OtlpKeyValue } from '../../protocol/index.js';
import { OtlpLabelBuilder, withLabels } from './otlp-label-builder.js';
import { sanitizeLabelName } from '../../protocol/index.js';

/**
 * The builder's contract written the slow, obvious way: attributes grouped
 * by sanitized name and joined in key order, then `setIfAbsent`, then `set`.
 */
function referenceLabels(
  attributes: readonly OtlpKeyValue[],
  ifAbsent: readonly string[],
  overrides: readonly string[]
): Record<string, string> {
  const sorted = [...attributes].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0
  );
  const out: Record<string, string> = {};
  for (const { key, value } of sorted) {
    const name = sanitizeLabelName(key);
    if (name === '' || value === '' || typeof value !== 'string') continue;
    out[name] = out[name] === undefined ? value : `${out[name]};${value}`;
  }
  for (let i = 0; i < ifAbsent.length; i += 2)
    if (out[ifAbsent[i]!] === undefined && ifAbsent[i + 1] !== '')
      out[ifAbsent[i]!] = ifAbsent[i + 1]!;
  for (let i = 0; i < overrides.length; i += 2)
    if (overrides[i + 1] !== '') out[overrides[i]!] = overrides[i + 1]!;
  return out;
}

describe('withLabels()', () => {
  it.each<[string, Record<string, string>, string[], string[]]>([
    ['inserts into an empty set', {}, ['__name__', 'x'], ['__name__', 'x']],
    [
      'inserts first',
      { b: '1' },
      ['__name__', 'x'],
      ['__name__', 'x', 'b', '1'],
    ],
    [
      'inserts last',
      { A: '1' },
      ['__name__', 'x'],
      ['A', '1', '__name__', 'x'],
    ],
    [
      'inserts two pairs in order',
      { a: '1', m: '2', z: '3' },
      ['__name__', 'x', 'le', '+Inf'],
      ['__name__', 'x', 'a', '1', 'le', '+Inf', 'm', '2', 'z', '3'],
    ],
    [
      'sorts the added pairs',
      { a: '1' },
      ['quantile', '0.5', '__name__', 'x'],
      ['__name__', 'x', 'a', '1', 'quantile', '0.5'],
    ],
    [
      'replaces a label of the same name',
      { le: 'attr', z: '1' },
      ['__name__', 'x', 'le', '1'],
      ['__name__', 'x', 'le', '1', 'z', '1'],
    ],
    [
      'adds both pairs after everything',
      { a: '1' },
      ['x', '1', 'y', '2'],
      ['a', '1', 'x', '1', 'y', '2'],
    ],
  ])('%s', (_name, base, added, want) => {
    const [n1, v1, n2, v2] = added;
    expect(withLabels(labelsFromRecord(base), n1!, v1!, n2, v2)).toEqual(want);
  });

  it('matches set-then-sort on random label sets', () => {
    const random = createRandom(11);
    const names = [
      'A',
      'Z',
      '__name__',
      '_x',
      'a',
      'le',
      'quantile',
      'zz',
      'lf',
      'ld',
    ];
    for (let c = 0; c < 1000; c++) {
      const base: Record<string, string> = {};
      for (const name of names)
        if (random() < 0.4 && name !== '__name__') base[name] = `v${c}`;
      const extra =
        random() < 0.5 ? 'le' : names[Math.floor(random() * names.length)]!;
      const want = {
        ...base,
        __name__: 'm',
        ...(extra === '__name__' ? {} : { [extra]: 'e' }),
      };
      const got =
        extra === '__name__'
          ? withLabels(labelsFromRecord(base), '__name__', 'm')
          : withLabels(labelsFromRecord(base), '__name__', 'm', extra, 'e');
      expect(got).toEqual(labelsFromRecord(want));
      expect(labelsToRecord(got)).toEqual(want);
    }
  });
});

describe('OtlpLabelBuilder', () => {
  it('gives attributes, setIfAbsent and set labels their precedence', () => {
    const builder = new OtlpLabelBuilder();
    builder.reset();
    builder.addAttributes([
      { key: 'a', value: 'attr' },
      { key: 'b', value: 'attr' },
    ]);
    builder.setAllIfAbsent(['a', 'default', 'c', 'default']);
    builder.setAll(['b', 'override', 'd', '']);
    expect(builder.build()).toEqual([
      'a',
      'attr',
      'b',
      'override',
      'c',
      'default',
    ]);
  });

  it('joins colliding attribute keys in key order, whatever the wire order', () => {
    const builder = new OtlpLabelBuilder();
    for (const order of [
      ['a.b', 'a-b', 'a_b'],
      ['a_b', 'a.b', 'a-b'],
      ['a-b', 'a_b', 'a.b'],
    ]) {
      builder.reset();
      builder.addAttributes(order.map(key => ({ key, value: key })));
      expect(builder.build()).toEqual(['a_b', 'a-b;a.b;a_b']);
    }
  });

  it('matches the reference on random sets of every size, with and without collisions', () => {
    const random = createRandom(17);
    const builder = new OtlpLabelBuilder();
    for (let c = 0; c < 300; c++) {
      // Small sets take the insertion sort, large ones (over 32) the index sort.
      const size =
        c % 3 === 0 ? Math.floor(random() * 300) : Math.floor(random() * 20);
      const keySpace = 1 + Math.floor(random() * (size + 1));
      const attributes: OtlpKeyValue[] = [];
      for (let i = 0; i < size; i++) {
        const k = Math.floor(random() * keySpace);
        // `.`, `-` and `_` variants collide after sanitizing.
        const key = `k${k}${['', '.x', '-x', '_x'][Math.floor(random() * 4)]!}`;
        attributes.push({ key, value: random() < 0.05 ? '' : `v${i}` });
      }
      const ifAbsent = ['k1', 'promoted', 'zz_promoted', 'p'];
      const overrides = ['k2_x', 'scope', 'job', 'j', 'k3', ''];
      builder.reset();
      builder.addAttributes(attributes);
      builder.setAll(overrides);
      builder.setAllIfAbsent(ifAbsent);
      const got = builder.build();
      const want = referenceLabels(attributes, ifAbsent, overrides);
      expect(labelsToRecord(got)).toEqual(want);
      expect(got).toEqual(labelsFromRecord(want));
    }
  });

  it('starts each label set empty, whatever the previous one held', () => {
    const builder = new OtlpLabelBuilder();
    const many: OtlpKeyValue[] = [];
    for (let i = 0; i < 100; i++) many.push({ key: `a${i}`, value: 'v' });
    builder.reset();
    builder.addAttributes(many);
    builder.build();
    builder.reset();
    builder.setIfAbsent('a5', 'fresh');
    builder.addAttributes([{ key: 'a7', value: 'x' }]);
    expect(builder.build()).toEqual(['a5', 'fresh', 'a7', 'x']);
  });
});
