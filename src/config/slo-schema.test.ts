import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { CONFIG_CHECKS } from '../config-checks.js';
import { withConfigChecks } from './config-checks.js';
import {
  loadSloFiles,
  parseSloFile,
  sloSpecSchema,
  slosSchema,
} from './slo-schema.js';

/** The problems zod reports for a YAML `slos:` list, as `path: message`. */
function problemsOf(yaml: string): string[] {
  const result = withConfigChecks(CONFIG_CHECKS, () =>
    slosSchema.safeParse(parseDocument(yaml).toJS())
  );
  if (result.success) return [];
  return result.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
}

describe('sloSpecSchema', () => {
  it('accepts the documented configuration examples, with their defaults', () => {
    const result = slosSchema.parse(
      parseDocument(`
- name: checkout-availability
  service: checkout
  objective: 0.999
  window: 30d
  sli:
    ratio:
      bad: http_requests_total{job="checkout",code=~"5.."}
      total: http_requests_total{job="checkout"}
- name: checkout-latency
  service: checkout
  objective: 0.99
  window: 28d
  sli:
    latency:
      histogram: http_request_duration_seconds
      threshold: 0.3
      selector: '{job="checkout"}'
`).toJS()
    );
    expect(result[0]!.window).toBe(30 * 86_400_000);
    expect(result[0]!.description).toBe('');
    expect(result[0]!.alerting).toBeUndefined();
    expect(result[1]!.sli).toEqual({
      latency: {
        histogram: 'http_request_duration_seconds',
        threshold: 0.3,
        selector: '{job="checkout"}',
      },
    });
  });

  it('takes an alert table, in durations and budget shares', () => {
    const spec = sloSpecSchema.parse({
      name: 'x',
      service: 's',
      objective: 0.99,
      sli: { ratio: { bad: 'a_total{code="500"}', total: 'a_total' } },
      alerting: {
        windows: [
          { severity: 'page', long: '1h', short: '5m', budget_consumed: 0.02 },
        ],
      },
    });
    expect(spec.alerting?.windows).toEqual([
      {
        severity: 'page',
        long: 3_600_000,
        short: 300_000,
        budget_consumed: 0.02,
      },
    ]);
  });

  it.each([
    [
      'objective: 99.9',
      /^0\.objective: must be between 0 and 1, got 99\.9: it looks like a percentage, write 0\.999$/,
    ],
    [
      'objective: 0',
      /^0\.objective: must be between 0 and 1 \(e\.g\. 0\.999\), got 0$/,
    ],
    [
      `sli: {ratio: {bad: 'x{code=~"5..("}', total: x}}`,
      /^0\.sli\.ratio\.bad: cannot parse selector "x\{code=~\\"5\.\.\(\\"\}": invalid regex/,
    ],
    [
      'sli: {ratio: {bad: x, total: "rate(x[5m])"}}',
      /^0\.sli\.ratio\.total: .*looks like a function call/,
    ],
    [
      `sli: {latency: {histogram: h, threshold: 0.3, selector: 'h_bucket{a="b"}'}}`,
      /^0\.sli\.latency\.selector: must not name a metric/,
    ],
    [
      'alerting: {windows: [{severity: page, long: 5m, short: 1h, factor: 2}]}',
      /^0\.alerting\.windows\.0\.short: the short window 1h must be shorter than the long window 5m$/,
    ],
    ['window: soon', /^0\.window: invalid duration "soon"/],
  ])('explains %s', (override, want) => {
    const [key] = override.split(':');
    const base: Record<string, string> = {
      objective: 'objective: 0.999',
      sli: `sli: {ratio: {bad: 'x{code="500"}', total: x}}`,
      alerting: '',
      window: '',
    };
    base[key!] = override;
    const yaml = `- {name: a, service: s, ${Object.values(base)
      .filter(v => v !== '')
      .join(', ')}}`;
    const problems = problemsOf(yaml);
    expect(
      problems.some(p => want.test(p)),
      problems.join('\n')
    ).toBe(true);
  });
});

describe('loadSloFiles()', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  it('reads specs from files next to the config, in order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-slo-'));
    await writeFile(
      join(dir, 'a.yaml'),
      `slos:\n  - {name: a, service: s, objective: 0.99, sli: {ratio: {bad: 'x{c="5"}', total: x}}}\n`
    );
    await writeFile(
      join(dir, 'b.yaml'),
      'slos:\n  - {name: b, service: s, objective: 0.9, window: 7d, sli: {latency: {histogram: h, threshold: 1}}}\n'
    );
    const specs = await loadSloFiles(
      ['a.yaml', 'b.yaml'],
      join(dir, 'fleetgate.yaml')
    );
    expect(specs.map(s => [s.name, s.window])).toEqual([
      ['a', 30 * 86_400_000],
      ['b', 7 * 86_400_000],
    ]);
  });

  it('reports every problem with its file and key path, and duplicate names', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-slo-'));
    await writeFile(
      join(dir, 'a.yaml'),
      `slos:\n  - {name: dup, service: s, objective: 99, sli: {ratio: {bad: 'x{c="5"}', total: x}}}\n`
    );
    const err = await loadSloFiles(
      ['a.yaml', 'missing.yaml'],
      join(dir, 'fleetgate.yaml'),
      [{ name: 'dup' }],
      CONFIG_CHECKS
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toContainEqual(
      expect.stringMatching(
        /^a\.yaml: slos\[0\]\.objective: must be between 0 and 1, got 99/
      )
    );
    expect(issues).toContainEqual(
      expect.stringMatching(/^missing\.yaml: cannot read SLO file/)
    );
  });

  it('flags a name used twice across files and the inline list', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-slo-'));
    await writeFile(
      join(dir, 'a.yaml'),
      `slos:\n  - {name: dup, service: s, objective: 0.99, sli: {ratio: {bad: 'x{c="5"}', total: x}}}\n`
    );
    const err = (await loadSloFiles(['a.yaml'], join(dir, 'c.yaml'), [
      { name: 'dup' },
    ]).catch((e: unknown) => e)) as ConfigError;
    expect(err.issues).toEqual([
      'a.yaml: slos[0].name: duplicate SLO name "dup" (also slos[0])',
    ]);
  });

  it('parses one file and says what is wrong with its YAML', () => {
    expect(parseSloFile('slos: [', 'x.yaml').problems[0]).toMatch(/^x\.yaml: /);
    expect(parseSloFile('other: 1', 'x.yaml').problems).toEqual([
      'x.yaml: (root): Unrecognized key: "other"',
    ]);
  });
});
