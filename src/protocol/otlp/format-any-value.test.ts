import { describe, expect, it } from 'vitest';
import { formatAnyValue } from './format-any-value.js';
import type { OtlpAnyValue } from './otlp-metrics-model.js';

describe('formatAnyValue()', () => {
  it.each<[string, OtlpAnyValue, string]>([
    ['a string as is', 'GET', 'GET'],
    ['an empty value as empty', null, ''],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['an int in decimal', 42n, '42'],
    [
      'an int64 beyond 2^53 exactly',
      -9223372036854775808n,
      '-9223372036854775808',
    ],
    ['a double as JS renders it', 1.5, '1.5'],
    ['a whole double without a fraction', 3, '3'],
    ['a large double in exponent form', 1e21, '1e+21'],
    ['NaN', NaN, 'NaN'],
    ['bytes as base64', new Uint8Array([1, 2, 3]), 'AQID'],
    ['an array as JSON', ['a', 1n, 2.5, true, null], '["a",1,2.5,true,null]'],
    [
      'a kvlist as a JSON object',
      {
        kvlist: [
          { key: 'k', value: 'v' },
          { key: 'n', value: [1n] },
        ],
      },
      '{"k":"v","n":[1]}',
    ],
    [
      'non-finite doubles inside JSON as strings',
      [Infinity, NaN],
      '["Infinity","NaN"]',
    ],
    [
      'bytes inside JSON as base64 strings',
      [new Uint8Array([255])],
      '["/w=="]',
    ],
    ['strings inside JSON escaped', ['a"b\n'], '["a\\"b\\n"]'],
  ])('renders %s', (_name, value, want) => {
    expect(formatAnyValue(value)).toBe(want);
  });
});
