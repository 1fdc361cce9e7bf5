import { describe, expect, it } from 'vitest';
import {
  familyTypes,
  sampleValue,
} from '../../test/helpers/prometheus-text.js';
import { SelfMetrics } from './self-metrics.js';

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
});
