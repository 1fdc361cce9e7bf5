import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger, type Logger } from '../telemetry/index.js';
import { AlertNotifier, type AlertNotifierDeps } from './alert-notifier.js';
import type { AlertSource, GatewayAlert } from './alert-source.js';
import { alertmanagerNameOf } from './alertmanager-client.js';
import { FakeAlertmanager } from '../../test/helpers/fake-alertmanager.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const MINUTE_MS = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

const PAGE: GatewayAlert = {
  labels: {
    alertname: 'SLOErrorBudgetBurn',
    severity: 'page',
    scope: 'cluster',
    slo: 'checkout-availability',
    service: 'checkout',
    team: 'payments',
    cluster: 'eu-1',
  },
  annotations: { summary: 'SLO checkout-availability is burning' },
  activeSinceMs: T0 - 5 * MINUTE_MS,
};

const DOWN: GatewayAlert = {
  labels: {
    alertname: 'FleetgateClusterDown',
    severity: 'page',
    cluster: 'us-1',
  },
  annotations: { summary: 'us-1 is down' },
  activeSinceMs: T0 - MINUTE_MS,
};

/** A source answering whatever `alerts` holds, or failing when `error` is set. */
class ListSource implements AlertSource {
  alerts: GatewayAlert[] = [];
  error: Error | undefined;
  calls = 0;
  activeAlerts(): Promise<GatewayAlert[]> {
    this.calls++;
    if (this.error !== undefined) return Promise.reject(this.error);
    return Promise.resolve([...this.alerts]);
  }
}

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as LogLine),
    },
  });
  return { logger, lines };
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {}
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  const found = values.find(v =>
    Object.entries(labels).every(([k, want]) => v.labels[k] === want)
  );
  return found?.value;
}

describe('AlertNotifier', () => {
  let am: FakeAlertmanager;
  let source: ListSource;
  let registry: Registry;
  let clock: number;
  let notifier: AlertNotifier | undefined;

  beforeEach(async () => {
    am = await FakeAlertmanager.start();
    source = new ListSource();
    registry = new Registry();
    clock = T0;
    notifier = undefined;
  });
  afterEach(async () => {
    await notifier?.stop();
    await am.close();
  });

  function build(
    overrides: Partial<AlertNotifierDeps> & {
      alertmanagers?: string[];
      intervalMs?: number;
    } = {}
  ): AlertNotifier {
    const { alertmanagers, intervalMs, ...deps } = overrides;
    notifier = new AlertNotifier(
      {
        alertmanagers: alertmanagers ?? [am.url],
        resend_interval: intervalMs ?? MINUTE_MS,
      },
      {
        sources: [source],
        registry,
        logger: silentLogger(),
        now: () => clock,
        retryMinMs: 1,
        retryMaxMs: 5,
        ...deps,
      }
    );
    return notifier;
  }

  describe('evaluateOnce()', () => {
    it('posts a firing alert with its start, endsAt four intervals ahead and the default generatorURL', async () => {
      source.alerts = [PAGE];
      await build({ generatorURL: 'http://fleetgate:9201/' }).evaluateOnce();
      expect(am.alerts()).toEqual([
        {
          labels: PAGE.labels,
          annotations: PAGE.annotations,
          startsAt: iso(PAGE.activeSinceMs),
          endsAt: iso(T0 + 4 * MINUTE_MS),
          generatorURL: 'http://fleetgate:9201/',
        },
      ]);
    });

    it('re-sends a firing alert at every evaluation, moving endsAt on', async () => {
      source.alerts = [PAGE];
      const n = build();
      await n.evaluateOnce();
      clock += MINUTE_MS;
      await n.evaluateOnce();
      expect(am.alerts().map(a => [a.startsAt, a.endsAt])).toEqual([
        [iso(PAGE.activeSinceMs), iso(T0 + 4 * MINUTE_MS)],
        [iso(PAGE.activeSinceMs), iso(T0 + 5 * MINUTE_MS)],
      ]);
    });

    it('sends an alert that stopped as resolved for 3 intervals, with endsAt when it stopped', async () => {
      source.alerts = [PAGE, DOWN];
      const n = build();
      await n.evaluateOnce();
      source.alerts = [DOWN];
      const stoppedAt = T0 + MINUTE_MS;
      for (let i = 1; i <= 5; i++) {
        clock = T0 + i * MINUTE_MS;
        await n.evaluateOnce();
      }
      const pageEnds = am
        .alerts()
        .filter(a => a.labels['alertname'] === 'SLOErrorBudgetBurn')
        .map(a => a.endsAt);
      expect(pageEnds).toEqual([
        iso(T0 + 4 * MINUTE_MS),
        iso(stoppedAt),
        iso(stoppedAt),
        iso(stoppedAt),
      ]);
      // DOWN keeps firing throughout.
      expect(
        am
          .alerts()
          .filter(a => a.labels['alertname'] === 'FleetgateClusterDown')
      ).toHaveLength(6);
    });

    it.each([
      // interval, evaluations that send the resolved alert (retention min(5m, 3 intervals))
      [2 * MINUTE_MS, 3],
      [4 * MINUTE_MS, 2],
      [10 * MINUTE_MS, 1],
    ])(
      'with a %ims interval sends a resolved alert %i times (at most 5m)',
      async (intervalMs, want) => {
        source.alerts = [PAGE];
        const n = build({ intervalMs });
        await n.evaluateOnce();
        source.alerts = [];
        for (let i = 1; i <= 6; i++) {
          clock = T0 + i * intervalMs;
          await n.evaluateOnce();
        }
        expect(am.alerts()).toHaveLength(1 + want);
      }
    );

    it('fires an alert again that comes back while it is being resolved', async () => {
      source.alerts = [PAGE];
      const n = build();
      await n.evaluateOnce();
      source.alerts = [];
      clock += MINUTE_MS;
      await n.evaluateOnce();
      source.alerts = [{ ...PAGE, activeSinceMs: clock + MINUTE_MS }];
      clock += 2 * MINUTE_MS;
      await n.evaluateOnce();
      expect(am.requests.at(-1)?.alerts).toEqual([
        expect.objectContaining({
          startsAt: iso(T0 + 2 * MINUTE_MS),
          endsAt: iso(clock + 4 * MINUTE_MS),
        }),
      ]);
    });

    it('posts nothing while no alert fires or resolves', async () => {
      const n = build();
      await n.evaluateOnce();
      clock += MINUTE_MS;
      await n.evaluateOnce();
      expect(am.requests).toHaveLength(0);
      expect(source.calls).toBe(2);
    });

    it('sends every alert to every Alertmanager, each on its own', async () => {
      const second = await FakeAlertmanager.start();
      try {
        second.replyByDefault({ status: 500 });
        source.alerts = [PAGE, DOWN];
        await build({
          alertmanagers: [am.url, second.url],
          // Time passes with each request, so the retries of the failing one end.
          fetch: async (input, init) => {
            clock += 10_000;
            return fetch(input, init);
          },
        }).evaluateOnce();
        expect(am.alerts().map(a => a.labels['alertname'])).toEqual([
          'SLOErrorBudgetBurn',
          'FleetgateClusterDown',
        ]);
        expect(second.requests.length).toBeGreaterThan(1);
        expect(second.requests[0]?.alerts).toEqual(am.alerts());
      } finally {
        await second.close();
      }
    });

    it('merges alerts with the same labels from several sources, and keeps the first', async () => {
      const other = new ListSource();
      source.alerts = [PAGE];
      other.alerts = [{ ...PAGE, annotations: { summary: 'second' } }, DOWN];
      await build({ sources: [source, other] }).evaluateOnce();
      expect(am.alerts().map(a => a.annotations['summary'])).toEqual([
        PAGE.annotations['summary'],
        DOWN.annotations['summary'],
      ]);
    });

    it('keeps the alerts of a failing source firing, and logs why', async () => {
      const { logger, lines } = captureLogger();
      source.alerts = [PAGE];
      const n = build({ logger });
      await n.evaluateOnce();
      source.error = new Error('redis timeout');
      clock += MINUTE_MS;
      await n.evaluateOnce();
      expect(am.requests.at(-1)?.alerts).toEqual([
        expect.objectContaining({ endsAt: iso(clock + 4 * MINUTE_MS) }),
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: 'cannot read active alerts from a source: keeping its previous alerts',
          kept: 1,
        })
      );
    });

    it('posts 64 alerts per request at most', async () => {
      source.alerts = Array.from({ length: 100 }, (_, i) => ({
        ...DOWN,
        labels: { ...DOWN.labels, cluster: `c${i}` },
      }));
      await build().evaluateOnce();
      expect(am.requests.map(r => r.alerts.length)).toEqual([64, 36]);
    });

    it('skips an alert Alertmanager would refuse, and sends the others', async () => {
      const { logger, lines } = captureLogger();
      source.alerts = [{ ...DOWN, labels: { 'k8s.cluster': 'x' } }, PAGE];
      await build({ logger }).evaluateOnce();
      expect(am.alerts().map(a => a.labels['alertname'])).toEqual([
        'SLOErrorBudgetBurn',
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: 'cannot send alert: invalid label name "k8s.cluster"',
        })
      );
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          result: 'invalid',
        })
      ).toBe(1);
    });
  });

  describe('retries', () => {
    it('retries 5xx and network errors with backoff until Alertmanager takes the alerts', async () => {
      am.reply({ status: 503 }, 'destroy', { status: 500 });
      source.alerts = [PAGE];
      await build().evaluateOnce();
      expect(am.requests.map(r => r.status)).toEqual([503, 0, 500, 200]);
      const name = alertmanagerNameOf(am.url);
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          alertmanager: name,
          result: 'success',
        })
      ).toBe(1);
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          alertmanager: name,
          result: 'failed',
        })
      ).toBe(0);
    });

    it('does not retry a 4xx, and logs it with the response body', async () => {
      const { logger, lines } = captureLogger();
      am.reply({ status: 400, body: 'bad alert' });
      source.alerts = [PAGE];
      await build({ logger }).evaluateOnce();
      expect(am.requests).toHaveLength(1);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          status: 400,
          body: 'bad alert',
          msg: `cannot post 1 alerts to alertmanager ${alertmanagerNameOf(am.url)}: HTTP 400: bad alert; not retrying`,
        })
      );
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          result: 'rejected',
        })
      ).toBe(1);
    });

    it('gives up when the next evaluation is due, and counts the alerts failed', async () => {
      const { logger, lines } = captureLogger();
      am.replyByDefault({ status: 500 });
      source.alerts = [PAGE, DOWN];
      // Each retry wait moves the clock on by 20s: the third would pass the 60s deadline.
      await build({
        logger,
        fetch: async (input, init) => {
          clock += 20_000;
          return fetch(input, init);
        },
      }).evaluateOnce();
      expect(am.requests).toHaveLength(3);
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          result: 'failed',
        })
      ).toBe(2);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          attempts: 3,
          msg: `cannot post 2 alerts to alertmanager ${alertmanagerNameOf(am.url)}: HTTP 500; giving up until the next evaluation`,
        })
      );
    });

    it('waits as long as Retry-After asks when it fits before the next evaluation', async () => {
      am.reply({ status: 503, headers: { 'Retry-After': '1' } });
      source.alerts = [PAGE];
      const started = Date.now();
      await build().evaluateOnce();
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(am.requests.map(r => r.status)).toEqual([503, 200]);
    });
  });

  describe('metrics', () => {
    it('exposes the firing alerts and the alerts sent per Alertmanager and result', async () => {
      source.alerts = [PAGE, DOWN];
      const n = build();
      await n.evaluateOnce();
      expect(await metricValue(registry, 'fleetgate_alerts_active')).toBe(2);
      source.alerts = [DOWN];
      clock += MINUTE_MS;
      await n.evaluateOnce();
      expect(await metricValue(registry, 'fleetgate_alerts_active')).toBe(1);
      expect(
        await metricValue(registry, 'fleetgate_alerts_sent_total', {
          alertmanager: alertmanagerNameOf(am.url),
          result: 'success',
        })
      ).toBe(4);
      const text = await registry.metrics();
      expect(text).toContain(
        `fleetgate_alerts_sent_total{alertmanager="${alertmanagerNameOf(am.url)}",result="rejected"} 0`
      );
    });

    it('reuses the instruments of an earlier notifier on the same registry', () => {
      build();
      expect(() => build()).not.toThrow();
    });
  });

  describe('reconfigure()', () => {
    it('keeps which alerts fire, so one that stops after the change is resolved at the new Alertmanager', async () => {
      const second = await FakeAlertmanager.start();
      try {
        source.alerts = [PAGE];
        const n = build();
        await n.evaluateOnce();
        n.reconfigure({
          alertmanagers: [second.url],
          resend_interval: MINUTE_MS,
        });
        source.alerts = [];
        clock += MINUTE_MS;
        await n.evaluateOnce();
        expect(second.alerts()).toEqual([
          expect.objectContaining({ labels: PAGE.labels, endsAt: iso(clock) }),
        ]);
        expect(n.alertmanagers).toEqual([alertmanagerNameOf(second.url)]);
        expect(am.requests).toHaveLength(1);
      } finally {
        await second.close();
      }
    });
  });

  describe('constructor', () => {
    it('refuses a resend interval that is not positive', () => {
      expect(() => build({ intervalMs: 0 })).toThrow(
        'cannot send alerts: alerting.resend_interval must be positive, got 0ms'
      );
    });
  });
});

describe('AlertNotifier (timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('evaluates at start and then every resend_interval, until stopped', async () => {
    vi.useFakeTimers({ now: T0 });
    const posted: number[] = [];
    const source = new ListSource();
    source.alerts = [PAGE];
    const notifier = new AlertNotifier(
      { alertmanagers: ['http://am.test:9093'], resend_interval: MINUTE_MS },
      {
        sources: [source],
        registry: new Registry(),
        logger: silentLogger(),
        fetch: () => {
          posted.push(Date.now());
          return Promise.resolve(new Response(null, { status: 200 }));
        },
      }
    );
    notifier.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(posted).toEqual([T0]);
    await vi.advanceTimersByTimeAsync(3 * MINUTE_MS);
    expect(posted).toEqual([
      T0,
      T0 + MINUTE_MS,
      T0 + 2 * MINUTE_MS,
      T0 + 3 * MINUTE_MS,
    ]);
    await notifier.stop();
    await vi.advanceTimersByTimeAsync(5 * MINUTE_MS);
    expect(posted).toHaveLength(4);
  });

  it('stop() ends a retry wait at once', async () => {
    vi.useFakeTimers({ now: T0 });
    const source = new ListSource();
    source.alerts = [PAGE];
    let calls = 0;
    const notifier = new AlertNotifier(
      { alertmanagers: ['http://am.test:9093'], resend_interval: MINUTE_MS },
      {
        sources: [source],
        registry: new Registry(),
        logger: silentLogger(),
        retryMinMs: 10_000,
        retryMaxMs: 10_000,
        fetch: () => {
          calls++;
          return Promise.resolve(new Response(null, { status: 503 }));
        },
      }
    );
    const evaluation = notifier.evaluateOnce();
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    await notifier.stop();
    await evaluation;
    expect(calls).toBe(1);
  });
});
