import { describe, expect, it } from 'vitest';
import type { FleetEvaluation } from '../fleet/health/index.js';
import type { SloReport } from '../slo/index.js';
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
    clusters: [{ cluster: 'prod-eu', sli: 0.98, error_budget: budget, windows: {}, alerts: { page: clusterPage, ticket: false } }],
    warnings: [],
  } as SloReport;
}

describe('SloAlertSource', () => {
  it('names fleet and cluster burn alerts like the generated rules and keeps their start', async () => {
    let now = 1000;
    let report = sloReport(true, true);
    const source = new SloAlertSource({ reports: async () => [report] }, () => now);
    const first = await source.activeAlerts();
    expect(first.map(a => a.labels)).toEqual([
      { team: 'payments', alertname: 'SLOFleetErrorBudgetBurn', severity: 'page', scope: 'fleet', slo: 'checkout-availability', service: 'checkout' },
      { team: 'payments', alertname: 'SLOErrorBudgetBurn', severity: 'page', scope: 'cluster', slo: 'checkout-availability', service: 'checkout', cluster: 'prod-eu' },
    ]);
    now = 5000;
    report = sloReport(false, true);
    const second = await source.activeAlerts();
    expect(second).toHaveLength(1);
    expect(second[0]!.activeSinceMs).toBe(1000);
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
      reasons: state === 'degraded' ? [{ code: 'clock_skew', message: 'clock 480s ahead' }] : [],
    });
    const evaluation = {
      clusters: [cluster('a', 'down'), cluster('b', 'stale'), cluster('c', 'degraded'), cluster('d', 'healthy'), cluster('e', 'unknown')],
    } as unknown as FleetEvaluation;
    const alerts = await new FleetAlertSource({ evaluate: async () => evaluation }, () => 7).activeAlerts();
    expect(alerts.map(a => [a.labels['alertname'], a.labels['severity'], a.labels['cluster']])).toEqual([
      ['FleetgateClusterDown', 'page', 'a'],
      ['FleetgateClusterStale', 'info', 'b'],
      ['FleetgateClusterDegraded', 'ticket', 'c'],
    ]);
    expect(alerts[2]!.annotations['description']).toBe('clock 480s ahead');
    expect(alerts[0]!.labels['team']).toBe('payments');
  });
});
