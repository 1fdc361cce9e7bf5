import { describe, expect, it } from 'vitest';
import { levelOf } from './severity-level.js';

describe('levelOf()', () => {
  it.each([
    [1, '', 'trace'],
    [4, '', 'trace'],
    [5, '', 'debug'],
    [9, 'Normal', 'info'],
    [12, '', 'info'],
    [13, 'Warning', 'warn'],
    [17, '', 'error'],
    [20, '', 'error'],
    [21, 'Critical', 'fatal'],
    [24, '', 'fatal'],
    // severity_number decides over the text.
    [9, 'ERROR', 'info'],
  ])('maps severity_number %i (text %j) to %s', (number, text, want) => {
    expect(levelOf(number, text)).toBe(want);
  });

  it.each([
    ['TRACE', 'trace'],
    ['DBG', 'debug'],
    ['Information', 'info'],
    ['notice', 'info'],
    ['WARN', 'warn'],
    ['Warning', 'warn'],
    [' error ', 'error'],
    ['ERR', 'error'],
    ['WARN2', 'warn'],
    ['CRIT', 'fatal'],
    ['panic', 'fatal'],
  ])('maps severity_text %j to %s without a number', (text, want) => {
    expect(levelOf(0, text)).toBe(want);
  });

  it.each([
    [0, ''],
    [0, 'chatty'],
    [25, ''],
    [-1, ''],
  ])('has no level for %i %j', (number, text) => {
    expect(levelOf(number, text)).toBeUndefined();
  });
});
