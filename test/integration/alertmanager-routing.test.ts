/**
 * alerts/alertmanager.yml against the real amtool (Debian's
 * prometheus-alertmanager 0.25): the config loads, and `amtool config routes
 * test` sends each kind of alert to the receiver on-call expects: pages and
 * tickets per team, info and non-production to low-urgency receivers. Every
 * alert of alerts/fleetgate-rules.yml and of the generated SLO example is
 * routed too. Inhibition is checked on the config's rules (amtool cannot test
 * it; test/e2e/alertmanager-client.test.ts sees it in a running Alertmanager).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ALERTMANAGER_CONFIG_FILE } from '../helpers/alertmanager.js';

const RULES_FILE = fileURLToPath(
  new URL('../../alerts/fleetgate-rules.yml', import.meta.url)
);
const SLO_RULES_FILE = fileURLToPath(
  new URL('../../alerts/slo/example-slos.yml', import.meta.url)
);
const AMTOOL_TIMEOUT_MS = 30_000;

interface Outcome {
  code: number;
  stdout: string;
  output: string;
}

function amtool(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      'amtool',
      args,
      { timeout: AMTOOL_TIMEOUT_MS },
      (err, stdout, stderr) => {
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              'cannot run amtool: not installed (apt-get install -y prometheus-alertmanager)',
              { cause: err }
            )
          );
          return;
        }
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, output: `${stdout}${stderr}` });
      }
    );
  });
}

/** The receivers amtool routes `labels` to, checked with --verify.receivers too. */
async function routeOf(
  labels: Readonly<Record<string, string>>,
  want: string
): Promise<string> {
  const args = [
    'config',
    'routes',
    'test',
    `--config.file=${ALERTMANAGER_CONFIG_FILE}`,
    `--verify.receivers=${want}`,
    ...Object.entries(labels).map(([name, value]) => `${name}=${value}`),
  ];
  const got = await amtool(args);
  return got.stdout.trim();
}

// ---------------------------------------------------------------------------
// Inhibition, evaluated on the config's inhibit_rules with Alertmanager's
// semantics: matchers are fully anchored; a label absent from both alerts
// counts as equal (both empty).

interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

type Labels = Readonly<Record<string, string>>;

const MATCHER_RE = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"$/;

function matches(matcher: string, labels: Labels): boolean {
  const m = MATCHER_RE.exec(matcher);
  if (m === null) throw new Error(`cannot parse matcher ${matcher}`);
  const [, name = '', op, operand = ''] = m;
  const value = labels[name] ?? '';
  switch (op) {
    case '=':
      return value === operand;
    case '!=':
      return value !== operand;
    case '=~':
      return new RegExp(`^(?:${operand})$`).test(value);
    default:
      return !new RegExp(`^(?:${operand})$`).test(value);
  }
}

function inhibits(
  rules: readonly InhibitRule[],
  source: Labels,
  target: Labels
): boolean {
  return rules.some(
    rule =>
      rule.source_matchers.every(m => matches(m, source)) &&
      rule.target_matchers.every(m => matches(m, target)) &&
      rule.equal.every(name => (source[name] ?? '') === (target[name] ?? ''))
  );
}

/** Labelled as the generated rules and fleetgate label it: the cluster's region and env too. */
const SLO_PAGE = {
  alertname: 'SLOErrorBudgetBurn',
  severity: 'page',
  scope: 'cluster',
  slo: 'checkout-availability',
  service: 'checkout',
  team: 'payments',
  cluster: 'prod-us-east',
  region: 'us-east-1',
  env: 'prod',
};
const SLO_TICKET = { ...SLO_PAGE, severity: 'ticket' };
const FLEET_PAGE = {
  alertname: 'SLOFleetErrorBudgetBurn',
  severity: 'page',
  scope: 'fleet',
  slo: 'checkout-availability',
  service: 'checkout',
  team: 'payments',
};
const FLEET_TICKET = { ...FLEET_PAGE, severity: 'ticket' };
const BACKLOG_PAGE = {
  alertname: 'FleetgateForwardBacklog',
  severity: 'page',
  team: 'platform',
  instance: 'r1',
  downstream: 'central',
};
const CLUSTER_DOWN = {
  alertname: 'FleetgateClusterDown',
  severity: 'page',
  team: 'platform',
  cluster: 'prod-us-east',
};

describe('alerts/alertmanager.yml', () => {
  let config: {
    route: { group_by: string[]; receiver: string };
    inhibit_rules: InhibitRule[];
    receivers: { name: string }[];
  };
  beforeAll(async () => {
    config = parseYaml(
      await readFile(ALERTMANAGER_CONFIG_FILE, 'utf8')
    ) as typeof config;
  });

  it('passes amtool check-config', async () => {
    const got = await amtool(['check-config', ALERTMANAGER_CONFIG_FILE]);
    expect(got.output).toContain('SUCCESS');
    expect(got.output).toContain('8 receivers');
    expect(got.output).toContain('3 inhibit rules');
    expect(got.code).toBe(0);
  });

  it('groups by alert, cluster and SLO, and falls back to the platform ticket queue', () => {
    expect(config.route.group_by).toEqual(['alertname', 'cluster', 'slo']);
    expect(config.route.receiver).toBe('platform-ticket');
  });

  describe('amtool config routes test', () => {
    it.each<[string, Labels, string]>([
      ['an SLO page of a team goes to its pager', SLO_PAGE, 'payments-page'],
      [
        'an SLO ticket of a team goes to its queue',
        SLO_TICKET,
        'payments-ticket',
      ],
      [
        'a fleet-scope SLO page goes to the team pager',
        FLEET_PAGE,
        'payments-page',
      ],
      [
        'another team has its own pager',
        { ...SLO_PAGE, team: 'storefront', slo: 'checkout-latency' },
        'storefront-page',
      ],
      [
        'another team has its own queue',
        { ...SLO_TICKET, team: 'storefront' },
        'storefront-ticket',
      ],
      [
        'a fleetgate page goes to the platform pager',
        CLUSTER_DOWN,
        'platform-page',
      ],
      [
        'a fleetgate ticket goes to the platform queue',
        {
          alertname: 'FleetgateCardinalityBudgetNear',
          severity: 'ticket',
          team: 'platform',
          cluster: 'a',
        },
        'platform-ticket',
      ],
      [
        'info goes to the FYI channel',
        {
          alertname: 'FleetgateClusterStale',
          severity: 'info',
          team: 'platform',
          cluster: 'a',
        },
        'info',
      ],
      [
        'info of a team goes to the FYI channel too',
        { ...SLO_PAGE, severity: 'info' },
        'info',
      ],
      [
        'a dev page never reaches a pager',
        { ...SLO_PAGE, env: 'dev' },
        'nonprod',
      ],
      [
        "a dev cluster's SLO burn page goes to the non-production channel",
        {
          ...SLO_PAGE,
          cluster: 'dev-sandbox',
          region: 'eu-west-1',
          env: 'dev',
        },
        'nonprod',
      ],
      [
        "a prod cluster's SLO burn page goes to the team pager",
        { ...SLO_PAGE, cluster: 'prod-eu', region: 'eu-west-1', env: 'prod' },
        'payments-page',
      ],
      [
        'a staging ticket goes to the non-production channel',
        { ...CLUSTER_DOWN, severity: 'ticket', env: 'staging' },
        'nonprod',
      ],
      [
        'a prod page goes to the pager',
        { ...SLO_PAGE, env: 'prod' },
        'payments-page',
      ],
      [
        'a page of an unknown team goes to the platform pager',
        { ...SLO_PAGE, team: 'search' },
        'platform-page',
      ],
      [
        'an alert without severity goes to the platform queue',
        { alertname: 'Custom', team: 'search' },
        'platform-ticket',
      ],
    ])('%s', async (_name, labels, want) => {
      expect(await routeOf(labels, want)).toBe(want);
    });

    it('routes every alert of alerts/fleetgate-rules.yml by its severity to the platform team', async () => {
      const rules = parseYaml(await readFile(RULES_FILE, 'utf8')) as {
        groups: {
          rules: { alert?: string; labels?: Record<string, string> }[];
        }[];
      };
      const alerts = rules.groups
        .flatMap(g => g.rules)
        .filter(r => r.alert !== undefined);
      expect(alerts.length).toBeGreaterThan(10);
      for (const rule of alerts) {
        const labels: Record<string, string> = {
          alertname: rule.alert ?? '',
          cluster: 'a',
          ...rule.labels,
        };
        const severity = labels['severity'] ?? '';
        const want = severity === 'info' ? 'info' : `platform-${severity}`;
        expect(await routeOf(labels, want), `${rule.alert} (${severity})`).toBe(
          want
        );
      }
    });

    it("routes every generated SLO alert to its team by severity, and a dev cluster's to nonprod", async () => {
      const rules = parseYaml(await readFile(SLO_RULES_FILE, 'utf8')) as {
        groups: {
          rules: { alert?: string; labels?: Record<string, string> }[];
        }[];
      };
      const alerts = rules.groups
        .flatMap(g => g.rules)
        .filter(r => r.alert !== undefined);
      expect(alerts.length).toBeGreaterThan(0);
      for (const rule of alerts) {
        // Per-cluster alerts get cluster, region and env from the series.
        const series =
          rule.labels?.['scope'] === 'cluster'
            ? { cluster: 'a', region: 'eu-west-1', env: 'prod' }
            : {};
        const labels: Record<string, string> = {
          alertname: rule.alert ?? '',
          ...series,
          ...rule.labels,
        };
        const want = `${labels['team'] ?? 'platform'}-${labels['severity'] ?? ''}`;
        const where = `${rule.alert} ${labels['slo'] ?? ''} (${labels['severity'] ?? ''})`;
        expect(await routeOf(labels, want), where).toBe(want);
        if (rule.labels?.['scope'] === 'cluster')
          expect(
            await routeOf({ ...labels, env: 'dev' }, 'nonprod'),
            `${where} in a dev cluster`
          ).toBe('nonprod');
      }
    });
  });

  describe('inhibit_rules', () => {
    it.each<[string, Labels, Labels, boolean]>([
      [
        'an SLO page silences its ticket in the same cluster',
        SLO_PAGE,
        SLO_TICKET,
        true,
      ],
      [
        'not the ticket of another SLO',
        SLO_PAGE,
        { ...SLO_TICKET, slo: 'checkout-latency' },
        false,
      ],
      [
        'not the ticket of the same SLO in another cluster',
        SLO_PAGE,
        { ...SLO_TICKET, cluster: 'prod-eu' },
        false,
      ],
      [
        'a fleet page silences the fleet ticket of the SLO',
        FLEET_PAGE,
        FLEET_TICKET,
        true,
      ],
      [
        'a fleet page leaves per-cluster tickets alone',
        FLEET_PAGE,
        SLO_TICKET,
        false,
      ],
      ['a ticket never silences a page', SLO_TICKET, SLO_PAGE, false],
      [
        'a page never silences another page',
        SLO_PAGE,
        { ...SLO_PAGE, alertname: 'SLOFleetErrorBudgetBurn' },
        false,
      ],
      [
        'a backlog page silences the backlog ticket of the same queue',
        BACKLOG_PAGE,
        { ...BACKLOG_PAGE, severity: 'ticket' },
        true,
      ],
      [
        'not the backlog ticket of another downstream',
        BACKLOG_PAGE,
        { ...BACKLOG_PAGE, severity: 'ticket', downstream: 'mimir' },
        false,
      ],
      [
        'a down cluster silences its stale alert',
        CLUSTER_DOWN,
        {
          ...CLUSTER_DOWN,
          alertname: 'FleetgateClusterStale',
          severity: 'info',
        },
        true,
      ],
      [
        'a down cluster silences its cardinality ticket',
        CLUSTER_DOWN,
        {
          alertname: 'FleetgateCardinalityBudgetNear',
          severity: 'ticket',
          team: 'platform',
          cluster: 'prod-us-east',
        },
        true,
      ],
      [
        "not another cluster's alerts",
        CLUSTER_DOWN,
        {
          ...CLUSTER_DOWN,
          alertname: 'FleetgateClusterStale',
          severity: 'info',
          cluster: 'prod-eu',
        },
        false,
      ],
      ['not the SLO tickets of the cluster', CLUSTER_DOWN, SLO_TICKET, false],
    ])('%s', (_name, source, target, want) => {
      expect(inhibits(config.inhibit_rules, source, target)).toBe(want);
    });
  });
});
