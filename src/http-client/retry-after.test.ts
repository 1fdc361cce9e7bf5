import { describe, expect, it } from 'vitest';
import { isRetryableStatus } from './is-retryable.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.js';

const NOW_MS = Date.parse('2024-05-01T12:00:00Z');

describe('parseRetryAfter()', () => {
  it.each([
    ['1', 1000],
    [' 2 ', 2000],
    ['0', 0],
    ['86400', MAX_RETRY_AFTER_MS],
    ['Wed, 01 May 2024 12:00:03 GMT', 3000],
    ['Wed, 01 May 2024 11:59:00 GMT', 0],
    ['Thu, 02 May 2024 12:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['', undefined],
    ['1.5', undefined],
    ['-1', undefined],
    ['soon', undefined],
    [null, undefined],
    [undefined, undefined],
  ] as const)('reads %j as %j ms', (value, want) => {
    expect(parseRetryAfter(value, NOW_MS)).toBe(want);
  });
});

describe('isRetryableStatus()', () => {
  it.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [529, true],
    [400, false],
    [401, false],
    [404, false],
    [409, false],
    [413, false],
    [415, false],
    [204, false],
  ])('says %i is retryable: %s', (status, want) => {
    expect(isRetryableStatus(status)).toBe(want);
  });
});
