import { describe, expect, it } from 'vitest';
import {
  isEventTimeMs,
  parseKubernetesTimeMs,
  parseRfc3339Ms,
} from './parse-kubernetes-time.js';

const T = Date.UTC(2024, 4, 1, 10, 0, 0);

describe('parseKubernetesTimeMs()', () => {
  it.each([
    ['2024-05-01T10:00:00Z', T],
    ['2024-05-01T10:00:00.570Z', T + 570],
    ['2024-05-01T10:00:00.123456Z', T + 123],
    ['2024-05-01T12:00:00+02:00', T],
    ['2024-05-01T07:30:00-02:30', T],
    ['2024-05-01 10:00:00 +0000 UTC', T],
    ['2024-05-01 10:00:00.5 +0000 UTC', T + 500],
    ['2024-05-01 12:00:00 +0200 CEST', T],
    ['2024-05-01 10:00:00.000000001 +0000 UTC m=+0.000000001', T],
  ])('reads %s', (text, want) => {
    expect(parseKubernetesTimeMs(text)).toBe(want);
  });

  it.each([
    ['0001-01-01 00:00:00 +0000 UTC'],
    ['1969-12-31T23:59:59Z'],
    ['2024-02-31T00:00:00Z'],
    ['2024-05-01T25:00:00Z'],
    ['2024-05-01'],
    ['yesterday'],
    [''],
  ])('refuses %j', text => {
    expect(parseKubernetesTimeMs(text)).toBeUndefined();
  });
});

describe('parseRfc3339Ms()', () => {
  it('refuses Go time text', () => {
    expect(parseRfc3339Ms('2024-05-01 10:00:00 +0000 UTC')).toBeUndefined();
  });
});

describe('isEventTimeMs()', () => {
  it.each([
    [0, false],
    [-1, false],
    [Number.NaN, false],
    [T, true],
    [253_402_300_800_000, false],
  ])('%d → %s', (ms, want) => {
    expect(isEventTimeMs(ms)).toBe(want);
  });
});
