/**
 * alerts/fleetgate-rules.yml against the real promtool (Debian's prometheus
 * 2.42): the rules load, the unit tests in alerts/fleetgate-rules.test.yml
 * pass, and those tests show every alert (at each of its severities) firing
 * and then resolving. Every alert carries the labels routing needs and the
 * annotations on-call reads, and its runbook link points at a section of
 * alerts/RUNBOOKS.md.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ALERTS_DIR = fileURLToPath(new URL('../../alerts/', import.meta.url));
const RULES_FILE = `${ALERTS_DIR}fleetgate-rules.yml`;
const TESTS_FILE = `${ALERTS_DIR}fleetgate-rules.test.yml`;
const RUNBOOKS_FILE = `${ALERTS_DIR}RUNBOOKS.md`;
const RUNBOOK_URL_PREFIX =
  'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md#';
const PROMTOOL_TIMEOUT_MS = 120_000;

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: (AlertRule | { record: string })[] }[];
}

interface RuleTestFile {
  tests: {
    name: string;
    alert_rule_test?: {
      eval_time: string;
      alertname: string;
      exp_alerts: { exp_labels?: Record<string, string> }[];
    }[];
  }[];
}

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'promtool',
      args,
      { timeout: PROMTOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              'cannot run promtool: not installed (apt-get install -y prometheus)',
              { cause: err }
            )
          );
          return;
        }
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      }
    );
  });
}

/** Prometheus durations as promtool's eval_time uses them (`90m`, `1h30m`), in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([smhd])/g))
    total += Number(n) * (units[unit ?? 's'] ?? 1);
  return total;
}

/** GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

describe('alerts/fleetgate-rules.yml with promtool', () => {
  let alerts: AlertRule[];
  let tests: RuleTestFile['tests'];
  let runbookAnchors: Set<string>;
  beforeAll(async () => {
    const rules = parseYaml(await readFile(RULES_FILE, 'utf8')) as RuleFile;
    alerts = rules.groups
      .flatMap(g => g.rules)
      .filter((r): r is AlertRule => 'alert' in r);
    tests = (parseYaml(await readFile(TESTS_FILE, 'utf8')) as RuleTestFile)
      .tests;
    const runbooks = await readFile(RUNBOOKS_FILE, 'utf8');
    runbookAnchors = new Set(
      [...runbooks.matchAll(/^#{1,6} (.+)$/gm)].map(m => anchorOf(m[1] ?? ''))
    );
  });

  it('passes promtool check rules', async () => {
    const got = await promtool(['check', 'rules', RULES_FILE]);
    expect(got.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(got.code).toBe(0);
  });

  it('passes the promtool unit tests', async () => {
    const got = await promtool(['test', 'rules', TESTS_FILE]);
    expect(got.output, got.output).toContain('SUCCESS');
    expect(got.code).toBe(0);
  });

  it('covers the alerts the issue asks for', () => {
    expect(new Set(alerts.map(a => a.alert))).toEqual(
      new Set([
        'FleetgateClusterStale',
        'FleetgateClusterDown',
        'FleetgateClusterClockSkew',
        'FleetgateCardinalityBudgetNear',
        'FleetgateCardinalityBudgetExceeded',
        'FleetgateIngestionRateLimited',
        'FleetgateIngestionQueueFull',
        'FleetgateForwardBacklog',
        'FleetgateForwardFailing',
        'FleetgateForwardStalled',
        'FleetgateDown',
        'FleetgateSharedStateDegraded',
        'FleetgateConfigReloadFailed',
      ])
    );
  });

  it('gives every alert a severity, a team, a summary, a description and a runbook section', () => {
    for (const rule of alerts) {
      const where = `${rule.alert} (${rule.labels?.['severity'] ?? '?'})`;
      expect(['page', 'ticket', 'info'], where).toContain(
        rule.labels?.['severity']
      );
      expect(rule.labels?.['team'], where).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(rule.annotations?.['summary'], where).toMatch(/\S/);
      expect(rule.annotations?.['description'], where).toMatch(
        /\{\{[^}]*\$(labels|value)/
      );
      const url = rule.annotations?.['runbook_url'] ?? '';
      expect(url, where).toBe(
        `${RUNBOOK_URL_PREFIX}${rule.alert.toLowerCase()}`
      );
      expect(
        runbookAnchors.has(rule.alert.toLowerCase()),
        `${where}: no "## ${rule.alert}" in alerts/RUNBOOKS.md`
      ).toBe(true);
    }
  });

  it('shows every alert firing and then resolving in the unit tests, at each of its severities', () => {
    for (const rule of alerts) {
      const severity = rule.labels?.['severity'] ?? '';
      const fires = (exp: { exp_labels?: Record<string, string> }[]): boolean =>
        exp.some(a => a.exp_labels?.['severity'] === severity);
      const shown = tests.some(test => {
        const cases = (test.alert_rule_test ?? []).filter(
          c => c.alertname === rule.alert
        );
        const firing = cases.filter(c => fires(c.exp_alerts));
        return firing.some(f =>
          cases.some(
            c =>
              seconds(c.eval_time) > seconds(f.eval_time) &&
              !fires(c.exp_alerts)
          )
        );
      });
      expect(
        shown,
        `${rule.alert} (${severity}): no test fires it, then resolves it`
      ).toBe(true);
    }
  });
});
