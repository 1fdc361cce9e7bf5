import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../config/index.js';
import type { FleetEvaluation } from '../fleet/index.js';
import type { SloReport } from '../slo/index.js';
import { generateSloRules } from '../slo/index.js';
import { FleetAlertSource } from './fleet-alert-source.js';
import { SloAlertSource } from './slo-alert-source.js';

const budget = { total: 0.001, consumed: 0.5, remaining: 0.5 };

function sloReport(fleetPage: boolean, clusterPage: boolean): SloReport {
  return {
    name: 'checkout-availability',
    service: 'checkout',
    description: '',
    objective: 0.999,
    window: '30d',
    labels: { team: 'payments' },
    sli: 0.99,
    error_budget: budget,
    windows: {},
    alerts: { page: fleetPage, ticket: false },
    clusters: [
      {
        cluster: 'prod-eu',
        sli: 0.98,
        error_budget: budget,
        windows: {},
        alerts: { page: clusterPage, ticket: false },
      },
    ],
    warnings: [],
  };
}

const REGISTRY = {
  byName: (name: string) =>
    name === 'prod-eu'
      ? { region: 'eu-west-1', env: 'prod' }
      : name === 'dev-sandbox'
        ? { region: 'eu-west-1', env: 'dev' }
        : undefined,
};

const AVAILABILITY_SLO = `
slos:
  - name: checkout-availability
    service: checkout
    objective: 0.999
    window: 30d
    labels: {team: payments}
    sli:
      ratio:
        bad: http_requests_total{code=~"5.."}
        total: http_requests_total
`;

describe('SloAlertSource', () => {
  it('names fleet and cluster burn alerts like the generated rules and keeps their start', async () => {
    let now = 1000;
    let report = sloReport(true, true);
    const source = new SloAlertSource(
      { reports: async () => [report] },
      REGISTRY,
      () => now
    );
    const first = await source.activeAlerts();
    expect(first.map(a => a.labels)).toEqual([
      {
        alertname: 'SLOFleetErrorBudgetBurn',
        severity: 'page',
        scope: 'fleet',
        slo: 'checkout-availability',
        service: 'checkout',
        team: 'payments',
      },
      {
        alertname: 'SLOErrorBudgetBurn',
        severity: 'page',
        scope: 'cluster',
        slo: 'checkout-availability',
        service: 'checkout',
        team: 'payments',
        cluster: 'prod-eu',
        region: 'eu-west-1',
        env: 'prod',
      },
    ]);
    now = 5000;
    report = sloReport(false, true);
    const second = await source.activeAlerts();
    expect(second).toHaveLength(1);
    expect(second[0]!.activeSinceMs).toBe(1000);
  });

  it("labels a cluster's alerts with its env from the registry, so a dev cluster's page routes apart", async () => {
    const report = {
      ...sloReport(false, false),
      clusters: [
        {
          cluster: 'dev-sandbox',
          sli: 0.9,
          error_budget: budget,
          windows: {},
          alerts: { page: true, ticket: true },
        },
      ],
    } as SloReport;
    const alerts = await new SloAlertSource(
      { reports: async () => [report] },
      REGISTRY
    ).activeAlerts();
    expect(alerts.map(a => [a.labels['severity'], a.labels['env']])).toEqual([
      ['page', 'dev'],
      ['ticket', 'dev'],
    ]);
  });

  it('links runbooks through the alerting.runbook_url template when one is set', async () => {
    let template: string | undefined =
      'https://runbooks.example/{alert}?slo={slo}&service={service}';
    const source = new SloAlertSource(
      { reports: async () => [sloReport(true, false)] },
      REGISTRY,
      () => 1000,
      () => template
    );
    const links = (await source.activeAlerts()).map(
      a => a.annotations['runbook_url']
    );
    expect(links.length).toBeGreaterThan(0);
    for (const link of links)
      expect(link).toMatch(
        /^https:\/\/runbooks\.example\/slo(fleet)?errorbudgetburn\?slo=\S+&service=\S+$/
      );
    // A reload that drops the key falls back to RUNBOOKS.md.
    template = undefined;
    for (const alert of await source.activeAlerts())
      expect(alert.annotations['runbook_url']).toContain('/RUNBOOKS.md#slo');
  });

  it('labels a cluster the registry does not know as normalization does: region and env unknown', async () => {
    const report = {
      ...sloReport(false, true),
      clusters: [{ ...sloReport(false, true).clusters[0]!, cluster: 'anon' }],
    } as SloReport;
    const [alert] = await new SloAlertSource(
      { reports: async () => [report] },
      REGISTRY
    ).activeAlerts();
    expect(alert!.labels).toMatchObject({
      cluster: 'anon',
      region: 'unknown',
      env: 'unknown',
    });
  });

  it("sends the generated rules' labels and text: Prometheus adds the series' cluster, region and env and expands the templates", async () => {
    const [slo] = parseConfig(AVAILABILITY_SLO, {}, 'test').slos;
    const rules = (
      parseYaml(generateSloRules([slo!])) as {
        groups: {
          rules: {
            alert?: string;
            labels: Record<string, string>;
            annotations?: Record<string, string>;
          }[];
        }[];
      }
    ).groups[0]!.rules.filter(r => r.alert !== undefined);
    const report = {
      ...sloReport(true, true),
      description: '',
      alerts: { page: true, ticket: true },
      clusters: [
        {
          ...sloReport(true, true).clusters[0]!,
          alerts: { page: true, ticket: true },
        },
      ],
    } as SloReport;
    const sent = await new SloAlertSource(
      { reports: async () => [report] },
      REGISTRY
    ).activeAlerts();
    // What Prometheus would post for the rules on prod-eu's series.
    const series = { cluster: 'prod-eu', region: 'eu-west-1', env: 'prod' };
    const posted = rules.map(rule => {
      const isFleet = rule.labels['scope'] === 'fleet';
      return {
        labels: {
          alertname: rule.alert,
          ...rule.labels,
          ...(isFleet ? {} : series),
        },
        annotations: Object.fromEntries(
          Object.entries(rule.annotations ?? {}).map(([name, text]) => [
            name,
            text.replaceAll('{{ $labels.cluster }}', series.cluster),
          ])
        ),
      };
    });
    expect(posted).toHaveLength(4);
    expect(
      sent.map(a => ({ labels: a.labels, annotations: a.annotations }))
    ).toEqual(expect.arrayContaining(posted));
    expect(sent).toHaveLength(4);
  });
});

describe('FleetAlertSource', () => {
  it('raises down, stale and degraded clusters with their env and team, and nothing for healthy ones', async () => {
    const cluster = (name: string, state: string) => ({
      cluster: name,
      region: 'eu',
      env: 'prod',
      team: 'payments',
      state,
      reasons:
        state === 'degraded'
          ? [{ code: 'clock_skew', message: 'clock 480s ahead' }]
          : [],
    });
    const evaluation = {
      clusters: [
        cluster('a', 'down'),
        cluster('b', 'stale'),
        cluster('c', 'degraded'),
        cluster('d', 'healthy'),
        cluster('e', 'unknown'),
      ],
    } as unknown as FleetEvaluation;
    const alerts = await new FleetAlertSource(
      { evaluate: async () => evaluation },
      () => 7
    ).activeAlerts();
    expect(
      alerts.map(a => [
        a.labels['alertname'],
        a.labels['severity'],
        a.labels['cluster'],
      ])
    ).toEqual([
      ['FleetgateClusterDown', 'page', 'a'],
      ['FleetgateClusterStale', 'info', 'b'],
      ['FleetgateClusterDegraded', 'ticket', 'c'],
    ]);
    expect(alerts[2]!.annotations['description']).toBe('clock 480s ahead');
    expect(alerts[0]!.labels['team']).toBe('payments');
  });

  it('links the alerting.runbook_url template, {slo} and {service} empty', async () => {
    const evaluation = {
      clusters: [
        {
          cluster: 'a',
          region: 'eu',
          env: 'prod',
          team: 'payments',
          state: 'down',
          reasons: [],
        },
      ],
    } as unknown as FleetEvaluation;
    const [alert] = await new FleetAlertSource(
      { evaluate: async () => evaluation },
      () => 7,
      () => 'https://runbooks.example/{alert}/{slo}'
    ).activeAlerts();
    expect(alert!.annotations['runbook_url']).toBe(
      'https://runbooks.example/fleetgateclusterdown/'
    );
  });
});
