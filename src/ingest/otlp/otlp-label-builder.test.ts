import { describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToRecord } from '../../model/labels.js';
import { createRandom } from '../../../test/helpers/otlp-reference.js';
import { OtlpLabelBuilder, withLabels } from './otlp-label-builder.js';

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
});
