import { describe, expect, it } from 'vitest';
import { formatLeMatcher, leSpellings } from './le-matcher.js';

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
