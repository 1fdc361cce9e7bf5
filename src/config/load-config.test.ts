import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { CONFIG_CHECKS } from '../config-checks.js';
import { defaultConfig, parseConfig } from './load-config.js';
import { formatDuration, parseDuration } from './duration.js';

function issuesOf(
  text: string,
  env: Record<string, string> = {}
): readonly string[] {
  try {
    parseConfig(text, env, 'config', CONFIG_CHECKS);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('parseConfig()', () => {
  it('gives the embedded default for an empty file', () => {
    const config = defaultConfig();
    expect(config.server.listen).toBe('127.0.0.1:9201');
    expect(config.clusters).toEqual([]);
    expect(config.forward.remote_write).toEqual([]);
    expect(config.state.redis).toBeUndefined();
    expect(config.limits.active_window).toBe(20 * 60_000);
    expect(config.normalize.aliases.cluster).toContain('k8s_cluster');
  });

  it('names the path of every bad key, all at once', () => {
    const issues = issuesOf(`
clusters:
  - {name: a, region: r, env: prod}
  - {name: b, region: r, env: prod}
  - {name: c, env: prod}
limits:
  max_series_per_cluster: -1
  active_window: 20 minutes
forward:
  remote_write:
    - url: not-a-url
bogus: 1
`);
    expect(issues).toContain('clusters[2].region: required');
    expect(
      issues.some(i => i.startsWith('limits.max_series_per_cluster:'))
    ).toBe(true);
    expect(issues).toContain(
      'limits.active_window: invalid duration "20 minutes" (want e.g. 30s, 5m, 1h, 30d)'
    );
    expect(issues.some(i => i.startsWith('forward.remote_write[0].url:'))).toBe(
      true
    );
    expect(issues).toContain('bogus: unknown key');
  });

  it('expands ${VAR} and ${VAR:-default} from the environment', () => {
    const config = parseConfig(
      `clusters:
  - name: prod-eu
    region: \${REGION:-eu-west-1}
    env: prod
    token: \${PROD_EU_TOKEN}
`,
      { PROD_EU_TOKEN: 'a-very-long-secret-token' }
    );
    expect(config.clusters[0]!.token).toBe('a-very-long-secret-token');
    expect(config.clusters[0]!.region).toBe('eu-west-1');
  });

  it('reports an unset variable by the path that uses it', () => {
    const issues = issuesOf(
      'clusters:\n  - {name: a, region: r, env: e, token: "${MISSING_TOKEN}"}\n'
    );
    expect(issues).toContain(
      'clusters[0].token: environment variable MISSING_TOKEN is not set'
    );
  });

  it('keeps $$ as a literal dollar', () => {
    const config = parseConfig(
      'clusters:\n  - {name: a, region: "r$$1", env: e}\n',
      {}
    );
    expect(config.clusters[0]!.region).toBe('r$1');
  });

  it('refuses duplicate cluster names and per_cluster limits for unknown clusters', () => {
    const issues = issuesOf(`
clusters:
  - {name: a, region: r, env: e}
  - {name: a, region: r, env: e}
limits:
  per_cluster:
    nope: {max_series_per_cluster: 10}
`);
    expect(issues).toContain(
      'clusters[1].name: duplicate cluster name "a" (also clusters[0])'
    );
    expect(issues).toContain('limits.per_cluster.nope: unknown cluster "nope"');
  });

  it('refuses token and tokenSha256 together, and short tokens', () => {
    const sha = 'a'.repeat(64);
    expect(
      issuesOf(
        `clusters:\n  - {name: a, region: r, env: e, token: aaaaaaaaaaaaaaaaaaaa, tokenSha256: "${sha}"}\n`
      )
    ).toContain('clusters[0]: set token or tokenSha256, not both');
    expect(
      issuesOf('clusters:\n  - {name: a, region: r, env: e, token: short}\n')[0]
    ).toMatch(/^clusters\[0\]\.token: too short/);
  });

  it('takes an alerting.runbook_url template and refuses one that is no URL', () => {
    const config = parseConfig(
      'alerting:\n  runbook_url: https://wiki.example/{alert}\n',
      {}
    );
    expect(config.alerting.runbook_url).toBe('https://wiki.example/{alert}');
    expect(issuesOf('alerting:\n  runbook_url: see the wiki\n')).toEqual([
      'alerting.runbook_url: want an http(s) URL; {alert}, {slo} and {service} are replaced',
    ]);
  });

  it('reports YAML syntax errors', () => {
    expect(() => parseConfig('clusters: [\n', {})).toThrow(ConfigError);
  });

  it('refuses a top level that is not a mapping', () => {
    expect(issuesOf('- a\n- b\n')).toEqual(['(root): want a mapping']);
  });

  it('validates SLO objectives and SLI shapes', () => {
    const issues = issuesOf(`
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli: {ratio: {bad: 'x', good: 'y', total: 'z'}}
`);
    expect(issues).toContain(
      'slos[0].objective: must be between 0 and 1, got 99.9: it looks like a percentage, write 0.999'
    );
    expect(issues.some(i => i.startsWith('slos[0].sli'))).toBe(true);
  });
});

describe('parseDuration()', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['250ms', 250],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '-5m', '1.5h'])('refuses %j', text => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [300_000, '5m'],
    [3_600_000, '1h'],
    [2_592_000_000, '30d'],
    [90_000, '90s'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
