/**
 * fleetgate's AlertNotifier against a real Alertmanager 0.25 (Debian's
 * prometheus-alertmanager) running the shipped alerts/alertmanager.yml, with
 * its receivers pointed at a local webhook sink and test-sized group timings.
 * A fake AlertSource stands in for the SLO engine and the fleet tracker.
 *
 * Seen end to end: an SLO page appears in Alertmanager's API with its labels,
 * reaches the owning team's page receiver (and no other), and resolves when
 * the source stops; a page inhibits the ticket of the same SLO and cluster;
 * a dev cluster's page goes to the non-production receiver.
 */
import { readFile } from 'node:fs/promises';
import { Registry } from 'prom-client';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';
import {
  AlertNotifier,
  type AlertSource,
  type GatewayAlert,
} from '../../src/alerting/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import {
  ALERTMANAGER_CONFIG_FILE,
  getAlertmanagerAlerts,
  rewriteAlertmanagerConfig,
  startAlertmanager,
  startWebhookSink,
  type AlertmanagerApiAlert,
  type AlertmanagerPeer,
  type ReceivedNotification,
  type WebhookSink,
} from '../helpers/alertmanager.js';
import { waitFor } from '../helpers/peers.js';

const RESEND_INTERVAL_MS = 1_000;
const WAIT_MS = 30_000;
const GENERATOR_URL = 'http://127.0.0.1:9201/api/v1/slos/checkout-availability';

class ListSource implements AlertSource {
  alerts: GatewayAlert[] = [];
  activeAlerts(): Promise<GatewayAlert[]> {
    return Promise.resolve([...this.alerts]);
  }
}

function sloAlert(
  severity: 'page' | 'ticket',
  extra: Record<string, string> = {}
): GatewayAlert {
  return {
    labels: {
      alertname: 'SLOErrorBudgetBurn',
      severity,
      scope: 'cluster',
      slo: 'checkout-availability',
      service: 'checkout',
      team: 'payments',
      cluster: 'prod-us-east',
      ...extra,
    },
    annotations: {
      summary: `SLO checkout-availability (checkout) is burning its error budget too fast in cluster ${extra['cluster'] ?? 'prod-us-east'}`,
      description: 'burning at 20× the sustainable rate',
      runbook_url:
        'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md#sloerrorbudgetburn',
    },
    // Alertmanager keeps startsAt to the second it was given.
    activeSinceMs: Math.floor(Date.now() / 1000) * 1000 - 120_000,
  };
}

function sameLabels(
  a: Record<string, string>,
  b: Readonly<Record<string, string>>
): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k])
  );
}

describe('AlertNotifier with a real Alertmanager', () => {
  let sink: WebhookSink;
  let am: AlertmanagerPeer;
  let notifier: AlertNotifier | undefined;
  let registry: Registry;

  /** waitFor, with Alertmanager's output in the error when time runs out. */
  async function eventually<T>(
    fn: () => Promise<T | undefined | false> | T | undefined | false,
    description: string
  ): Promise<T> {
    try {
      return await waitFor(fn, WAIT_MS, { description, intervalMs: 200 });
    } catch (err) {
      const received = JSON.stringify(sink.received, null, 1).slice(-4000);
      throw new Error(
        `${(err as Error).message}\nwebhooks received: ${received}\n${am.diagnostics().slice(-6000)}`,
        { cause: err }
      );
    }
  }

  function startNotifier(source: AlertSource): AlertNotifier {
    notifier = new AlertNotifier(
      { alertmanagers: [am.url], resend_interval: RESEND_INTERVAL_MS },
      {
        sources: [source],
        registry,
        logger: silentLogger(),
        generatorURL: GENERATOR_URL,
        retryMinMs: 50,
        retryMaxMs: 200,
      }
    );
    notifier.start();
    return notifier;
  }

  async function alertsIn(): Promise<AlertmanagerApiAlert[]> {
    return getAlertmanagerAlerts(am.url);
  }

  function notifications(
    path: string,
    status: 'firing' | 'resolved'
  ): ReceivedNotification[] {
    return sink.received.filter(
      n => n.path === path && n.body.status === status
    );
  }

  beforeAll(async () => {
    sink = await startWebhookSink();
    const shipped = await readFile(ALERTMANAGER_CONFIG_FILE, 'utf8');
    am = await startAlertmanager(
      rewriteAlertmanagerConfig(shipped, {
        webhookBaseUrl: sink.url,
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
      })
    );
  });
  afterAll(async () => {
    await am?.stop();
    await sink?.close();
  });
  beforeEach(() => {
    registry = new Registry();
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
  });

  it('sends an SLO page that Alertmanager shows with its labels, routes to the team pager, and resolves when the source stops', async () => {
    const source = new ListSource();
    const page = sloAlert('page');
    source.alerts = [page];
    startNotifier(source);

    const shown = await eventually(
      async () =>
        (await alertsIn()).find(
          a => sameLabels(a.labels, page.labels) && a.status.state === 'active'
        ),
      'the page in GET /api/v2/alerts'
    );
    expect(shown.labels).toEqual(page.labels);
    expect(shown.annotations).toEqual(page.annotations);
    expect(shown.receivers.map(r => r.name)).toEqual(['payments-page']);
    expect(shown.generatorURL).toBe(GENERATOR_URL);
    expect(Date.parse(shown.startsAt)).toBe(page.activeSinceMs);
    // Firing alerts are sent with endsAt four intervals ahead.
    expect(Date.parse(shown.endsAt)).toBeGreaterThan(Date.now());

    const [firing] = await eventually(() => {
      const got = notifications('/page/payments', 'firing');
      return got.length > 0 && got;
    }, 'the firing notification at the payments pager');
    expect(firing?.body.receiver).toBe('payments-page');
    expect(firing?.body.groupLabels).toEqual({
      alertname: 'SLOErrorBudgetBurn',
      cluster: 'prod-us-east',
      slo: 'checkout-availability',
    });
    expect(firing?.body.alerts.map(a => a.labels)).toEqual([page.labels]);
    expect(
      sink.received.filter(n => n.path !== '/page/payments').map(n => n.path)
    ).toEqual([]);

    source.alerts = [];
    await eventually(
      async () =>
        !(await alertsIn()).some(a => sameLabels(a.labels, page.labels)),
      'the page to leave the active alerts'
    );
    const [resolved] = await eventually(() => {
      const got = notifications('/page/payments', 'resolved');
      return got.length > 0 && got;
    }, 'the resolved notification at the payments pager');
    expect(resolved?.body.alerts).toEqual([
      expect.objectContaining({ status: 'resolved', labels: page.labels }),
    ]);
    expect(
      Date.parse(resolved?.body.alerts[0]?.endsAt ?? '')
    ).toBeLessThanOrEqual(Date.now());

    const sent = await registry
      .getSingleMetric('fleetgate_alerts_sent_total')
      ?.get();
    const success = sent?.values.find(v => v.labels['result'] === 'success');
    expect(success?.value).toBeGreaterThanOrEqual(2);
  });

  it('lets a page inhibit the ticket of the same SLO and cluster, and routes a dev cluster away from pagers', async () => {
    const source = new ListSource();
    const page = sloAlert('page', { cluster: 'prod-eu' });
    const ticket = sloAlert('ticket', { cluster: 'prod-eu' });
    const otherTicket = sloAlert('ticket', { cluster: 'prod-ap' });
    const devPage = sloAlert('page', { cluster: 'dev-1', env: 'dev' });
    // Inhibition applies to alerts that arrive while the page is active: on a loaded machine a
    // ticket posted in the same batch could be flushed to its receiver first. Page first, then tickets.
    source.alerts = [page, devPage];
    startNotifier(source);
    await eventually(async () => {
      const all = await alertsIn();
      return all.some(
        a => sameLabels(a.labels, page.labels) && a.status.state === 'active'
      );
    }, 'the page active in Alertmanager');
    source.alerts = [page, ticket, otherTicket, devPage];

    const shown = await eventually(async () => {
      const all = await alertsIn();
      const find = (alert: GatewayAlert): AlertmanagerApiAlert | undefined =>
        all.find(
          a =>
            sameLabels(a.labels, alert.labels) &&
            a.status.state !== 'unprocessed'
        );
      const got = [page, ticket, otherTicket, devPage].map(find);
      return got.every(a => a !== undefined) && got;
    }, 'the four alerts processed by Alertmanager');
    const [pageIn, ticketIn, otherTicketIn, devPageIn] = shown;
    expect(pageIn?.status.state).toBe('active');
    expect(ticketIn?.status).toEqual(
      expect.objectContaining({
        state: 'suppressed',
        inhibitedBy: [pageIn?.fingerprint],
      })
    );
    expect(otherTicketIn?.status.state).toBe('active');
    expect(devPageIn?.receivers.map(r => r.name)).toEqual(['nonprod']);

    await eventually(
      () =>
        notifications('/ticket/payments', 'firing').some(n =>
          n.body.alerts.some(a => a.labels['cluster'] === 'prod-ap')
        ) &&
        notifications('/nonprod', 'firing').some(n =>
          n.body.alerts.some(a => a.labels['cluster'] === 'dev-1')
        ),
      'the uninhibited ticket and the dev page notifications'
    );
    expect(
      sink.received.some(
        n =>
          n.path === '/ticket/payments' &&
          n.body.alerts.some(a => a.labels['cluster'] === 'prod-eu')
      ),
      'the inhibited ticket reached a receiver'
    ).toBe(false);
    expect(
      sink.received.some(
        n =>
          n.path.startsWith('/page/') &&
          n.body.alerts.some(a => a.labels['cluster'] === 'dev-1')
      ),
      'the dev page reached a pager'
    ).toBe(false);
  });
});
