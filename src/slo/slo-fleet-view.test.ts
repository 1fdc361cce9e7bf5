import { describe, expect, it } from 'vitest';
import type { SloReport } from './slo-report.js';
import { SloFleetView } from './slo-fleet-view.js';

const budget = (remaining: number) => ({
  total: 0.01,
  consumed: 1 - remaining,
  remaining,
});

const report = {
  name: 'checkout-availability',
  objective: 0.99,
  error_budget: budget(0.4),
  alerts: { page: true, ticket: false },
  clusters: [
    {
      cluster: 'prod-eu',
      error_budget: budget(-0.2),
      alerts: { page: true, ticket: true },
    },
    {
      cluster: 'prod-us',
      error_budget: budget(0.9),
      alerts: { page: false, ticket: false },
    },
  ],
} as unknown as SloReport;

describe('SloFleetView', () => {
  it('answers the fleet view per cluster and fleet-wide, reusing one report for a few seconds', async () => {
    let calls = 0;
    let now = 0;
    const view = new SloFleetView(
      { reports: async () => (calls++, [report]) },
      () => now
    );
    expect(await view.firingPageAlerts('prod-eu')).toEqual([
      'checkout-availability',
    ]);
    expect(await view.firingPageAlerts('prod-us')).toEqual([]);
    expect(await view.clusterSlos('prod-eu')).toEqual([
      {
        name: 'checkout-availability',
        objective: 0.99,
        errorBudgetRemaining: -0.2,
        alerts: { page: true, ticket: true },
      },
    ]);
    expect(await view.clusterSlos('nowhere')).toEqual([]);
    expect((await view.fleetSlos())[0]).toMatchObject({
      errorBudgetRemaining: 0.4,
    });
    expect(calls).toBe(1);
    now = 6000;
    await view.fleetSlos();
    expect(calls).toBe(2);
  });
});
