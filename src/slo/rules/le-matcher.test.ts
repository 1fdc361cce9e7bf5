import { describe, expect, it } from 'vitest';
import {
  formatFixedFloat,
  formatGoFloat,
  formatLeMatcher,
  leSpellings,
} from './le-matcher.js';

describe('formatGoFloat()', () => {
  // Want: Go's strconv.FormatFloat(v, 'g', -1, 64).
  it.each([
    [0.3, '0.3'],
    [1, '1'],
    [2.5, '2.5'],
    [0.005, '0.005'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1.5e7, '1.5e+07'],
    [123456789, '1.23456789e+08'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [Infinity, '+Inf'],
  ])('formats %s as %s', (value, want) => {
    expect(formatGoFloat(value)).toBe(want);
  });
});

describe('formatFixedFloat()', () => {
  // Want: Go's strconv.FormatFloat(v, 'f', -1, 64).
  it.each([
    [0.3, '0.3'],
    [1e6, '1000000'],
    [1e-7, '0.0000001'],
    [1.25e-7, '0.000000125'],
    [1e21, '1000000000000000000000'],
  ])('formats %s as %s', (value, want) => {
    expect(formatFixedFloat(value)).toBe(want);
  });
});

describe('leSpellings()', () => {
  it.each([
    [0.3, ['0.3']],
    [1, ['1', '1.0']],
    [10, ['10', '10.0']],
    [1e6, ['1e+06', '1000000']],
    [0.00001, ['1e-05', '0.00001']],
  ])('spells %s as %j', (value, want) => {
    expect(leSpellings(value)).toEqual(want);
  });
});

describe('formatLeMatcher()', () => {
  it('matches one spelling exactly when every writer agrees', () => {
    expect(formatLeMatcher(0.3)).toBe('le="0.3"');
  });

  it('matches every spelling, regex- and PromQL-escaped, when writers differ', () => {
    expect(formatLeMatcher(1)).toBe('le=~"1|1\\\\.0"');
    expect(formatLeMatcher(1e6)).toBe('le=~"1e\\\\+06|1000000"');
  });
});
