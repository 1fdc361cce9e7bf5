import { describe, expect, it } from 'vitest';
import { formatGoFloat, formatLe, parseLe } from './le-text.js';

describe('formatLe()', () => {
  // Want: Go's strconv.FormatFloat(v, 'f', -1, 64), as Prometheus' OTLP translator writes `le`.
  it.each([
    [0.3, '0.3'],
    [0.005, '0.005'],
    [1, '1'],
    [1e6, '1000000'],
    [1e-7, '0.0000001'],
    [1.25e-7, '0.000000125'],
    [-2.5e-8, '-0.000000025'],
    [1e21, '1000000000000000000000'],
    [0.1 + 0.2, '0.30000000000000004'],
    [0, '0'],
    [-0, '-0'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('formats %s as %s', (value, want) => {
    expect(formatLe(value)).toBe(want);
  });
});

describe('formatGoFloat()', () => {
  // Want: Go's strconv.FormatFloat(v, 'g', -1, 64), as client_golang's text format writes `le`.
  it.each([
    [0.3, '0.3'],
    [1, '1'],
    [2.5, '2.5'],
    [0.005, '0.005'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-7, '1e-07'],
    [100000, '100000'],
    [1e6, '1e+06'],
    [1.5e7, '1.5e+07'],
    [123456789, '1.23456789e+08'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('formats %s as %s', (value, want) => {
    expect(formatGoFloat(value)).toBe(want);
  });
});

describe('parseLe()', () => {
  it.each([
    ['0.3', 0.3],
    ['1e-07', 1e-7],
    ['0.0000001', 1e-7],
    ['1.0', 1],
    ['+Inf', Infinity],
    ['Inf', Infinity],
  ])('reads %s as %s', (text, want) => {
    expect(parseLe(text)).toBe(want);
  });

  it.each([[undefined], [''], ['fast']])('reads %j as NaN', text => {
    expect(parseLe(text)).toBeNaN();
  });

  it('reads back what formatLe and formatGoFloat write', () => {
    for (const v of [0.3, 1e-7, 1e6, 123456789, 2.5e-9])
      expect([parseLe(formatLe(v)), parseLe(formatGoFloat(v))]).toEqual([v, v]);
  });
});
