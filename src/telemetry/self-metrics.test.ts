import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  familyTypes,
  sampleValue,
} from '../../test/helpers/prometheus-text.js';
import { SelfMetrics } from './self-metrics.js';

/** Holds the event loop for `ms` without yielding. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: this is the stall being measured
  }
}

function gauge(text: string, name: string): number {
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  expect(line, name).toBeDefined();
  return Number(line!.slice(name.length + 1));
}

describe('SelfMetrics', () => {
  describe('exposition()', () => {
    it("serves prom-client's families and the OpenTelemetry ones, each declared once, with no shared name", async () => {
      const metrics = new SelfMetrics({ version: '1.2.3' });
      const end = metrics.requestDuration.startTimer({ handler: '/x' });
      metrics.otel.recordRequest(
        'GET',
        '/x',
        'http',
        200,
        end({ code: '200' })
      );
      const text = await metrics.exposition();

      const names = [...familyTypes(text).keys()];
      const own = names.filter(n => n.startsWith('fleetgate_'));
      const otel = names.filter(n => !n.startsWith('fleetgate_'));
      expect(own).toContain('fleetgate_request_duration_seconds');
      expect(own).toContain('fleetgate_process_cpu_seconds_total');
      expect(otel.sort()).toEqual([
        'http_server_request_duration',
        'nodejs_eventloop_utilization',
        'target_info',
        'v8js_memory_heap_limit',
        'v8js_memory_heap_used',
      ]);
      // The one request, once in each family.
      expect(
        sampleValue(
          text,
          'fleetgate_request_duration_seconds_count{handler="/x",code="200"}'
        )
      ).toBe(1);
      expect(
        sampleValue(
          text,
          'http_server_request_duration_count{http_request_method="GET",http_route="/x",'
        )
      ).toBe(1);
    });

    it('has the content type of the Prometheus text format', () => {
      expect(new SelfMetrics().contentType).toMatch(
        /^text\/plain; version=0\.0\.4/
      );
    });
  });

  describe('fleetgate_event_loop_delay_seconds', () => {
    it('shows a stall of the event loop in its max and quantiles', async () => {
      const metrics = new SelfMetrics();
      await sleep(30);
      block(200);
      await sleep(30);
      const text = await metrics.registry.metrics();
      // The histogram samples every 10 ms: a 200 ms stall reads as at least 150 ms.
      expect(
        gauge(text, 'fleetgate_event_loop_delay_max_seconds')
      ).toBeGreaterThanOrEqual(0.15);
      for (const q of ['0.5', '0.9', '0.99'])
        expect(text).toMatch(
          new RegExp(
            `^fleetgate_event_loop_delay_seconds\\{quantile="${q}"\\} [0-9.e-]+$`,
            'm'
          )
        );
    });

    it('is a summary: its type line says so, and _sum and _count add up across scrapes', async () => {
      const metrics = new SelfMetrics();
      await sleep(30);
      const first = await metrics.registry.metrics();
      await sleep(30);
      const second = await metrics.registry.metrics();
      expect(first).toMatch(
        /^# TYPE fleetgate_event_loop_delay_seconds summary$/m
      );
      const count = (text: string) =>
        gauge(text, 'fleetgate_event_loop_delay_seconds_count');
      expect(count(first)).toBeGreaterThan(0);
      expect(count(second)).toBeGreaterThan(count(first));
      expect(
        gauge(second, 'fleetgate_event_loop_delay_seconds_sum')
      ).toBeGreaterThanOrEqual(
        gauge(first, 'fleetgate_event_loop_delay_seconds_sum')
      );
    });

    it('is absent without process metrics', async () => {
      const metrics = new SelfMetrics({ collectProcessMetrics: false });
      const text = await metrics.registry.metrics();
      expect(text).not.toContain('fleetgate_event_loop_delay');
    });
  });
});
