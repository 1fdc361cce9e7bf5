import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import {
  activeConfigChecks,
  withConfigChecks,
  type ConfigChecks,
} from './config-checks.js';
import { parseConfig } from './load-config.js';

const BAD_REGEX_RULE =
  "relabel_configs:\n  - {source_labels: [a], regex: '(', target_label: b}\n";

/** A check that refuses every relabel rule and SLO, to see where it runs. */
const REFUSE_ALL: ConfigChecks = {
  relabelRule: () => ['regex: refused by the test check'],
  sloSpec: () => [{ path: ['sli'], message: 'refused by the test check' }],
};

function issuesOf(text: string, checks?: ConfigChecks): readonly string[] {
  try {
    parseConfig(text, {}, 'config', checks);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('withConfigChecks()', () => {
  it('makes the checks visible during the parse only, and restores the outer ones', () => {
    const inner: ConfigChecks = { ...REFUSE_ALL };
    const seen = withConfigChecks(REFUSE_ALL, () => [
      activeConfigChecks(),
      withConfigChecks(inner, () => activeConfigChecks()),
      activeConfigChecks(),
    ]);
    expect(seen).toEqual([REFUSE_ALL, inner, REFUSE_ALL]);
    expect(activeConfigChecks()).toBeUndefined();
  });

  it('restores the outer checks when the parse throws', () => {
    expect(() =>
      withConfigChecks(REFUSE_ALL, () => {
        throw new Error('boom');
      })
    ).toThrow('boom');
    expect(activeConfigChecks()).toBeUndefined();
  });
});

describe('parseConfig() with and without checks', () => {
  it('checks only the shape without checks', () => {
    expect(issuesOf(BAD_REGEX_RULE)).toEqual([]);
  });

  it('reports what the given checks find, at the key path of the value', () => {
    expect(issuesOf(BAD_REGEX_RULE, REFUSE_ALL)).toEqual([
      'relabel_configs[0].regex: refused by the test check',
    ]);
    const slo =
      'slos:\n  - {name: a, service: s, objective: 0.99, sli: {ratio: {bad: x, total: x}}}\n';
    expect(issuesOf(slo, REFUSE_ALL)).toEqual([
      'slos[0].sli: refused by the test check',
    ]);
  });
});
