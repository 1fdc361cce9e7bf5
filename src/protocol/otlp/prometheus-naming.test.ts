import { describe, expect, it } from 'vitest';
import {
  buildMetricName,
  buildUnitName,
  sanitizeLabelName,
  type MetricNameKind,
} from './prometheus-naming.js';

describe('buildMetricName()', () => {
  it.each<[string, string, MetricNameKind, string]>([
    // unit words
    [
      'http.server.duration',
      'ms',
      'other',
      'http_server_duration_milliseconds',
    ],
    [
      'http.server.request.duration',
      's',
      'other',
      'http_server_request_duration_seconds',
    ],
    ['system.memory.usage', 'By', 'gauge', 'system_memory_usage_bytes'],
    ['process.memory', 'KiBy', 'gauge', 'process_memory_kibibytes'],
    ['disk', 'TiBy', 'gauge', 'disk_tebibytes'],
    ['cpu.temperature', 'Cel', 'gauge', 'cpu_temperature_celsius'],
    ['cpu.frequency', 'Hz', 'gauge', 'cpu_frequency_hertz'],
    ['cpu.utilization', '%', 'gauge', 'cpu_utilization_percent'],
    ['distance', 'm', 'gauge', 'distance_meters'],
    // a/b → a_per_b, per-units singular
    ['speed', 'm/s', 'gauge', 'speed_meters_per_second'],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second'],
    ['rate', '1/h', 'gauge', 'rate_per_hour'],
    ['growth', 'By/mo', 'gauge', 'growth_bytes_per_month'],
    ['packets', '{packet}/s', 'gauge', 'packets_per_second'],
    // annotations and dimensionless
    ['requests', '{requests}', 'counter', 'requests_total'],
    ['requests', '1', 'counter', 'requests_total'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['queue.fill', '1', 'other', 'queue_fill'],
    ['foo', '', 'gauge', 'foo'],
    ['foo', ' ms ', 'gauge', 'foo_milliseconds'],
    // unknown units pass through, sanitized
    ['foo', 'widgets', 'gauge', 'foo_widgets'],
    ['foo', 'a.b', 'gauge', 'foo_a_b'],
    // no duplicate suffixes
    ['http.duration.milliseconds', 'ms', 'other', 'http_duration_milliseconds'],
    ['bytes.received', 'By', 'counter', 'bytes_received_total'],
    ['requests_total', '1', 'counter', 'requests_total'],
    ['total.requests', '', 'counter', 'requests_total'],
    ['used_ratio', '1', 'gauge', 'used_ratio'],
    ['speed_meters_per_second', 'm/s', 'gauge', 'speed_meters_per_second'],
    ['io.seconds', 'By/s', 'gauge', 'io_seconds_bytes_per_second'],
    // unit suffix before type suffix
    ['http.requests', 's', 'counter', 'http_requests_seconds_total'],
    // characters and underscores
    ['a..b__c', '', 'gauge', 'a_b_c'],
    ['_leading', '', 'gauge', 'leading'],
    ['ns:metric.x', '', 'gauge', 'ns:metric_x'],
    ['2xx.count', '', 'gauge', '_2xx_count'],
    ['grüße', '', 'gauge', 'gr_e'],
    ['...', '', 'gauge', ''],
    ['', 's', 'gauge', ''],
  ])('%s [%s] as %s → %s', (name, unit, kind, want) => {
    expect(buildMetricName(name, unit, kind)).toBe(want);
  });
});

describe('buildUnitName()', () => {
  it.each([
    ['ms', 'milliseconds'],
    ['By/s', 'bytes_per_second'],
    ['1/s', 'per_second'],
    ['1', ''],
    ['{count}', ''],
    ['', ''],
  ])('%s → %s', (unit, want) => {
    expect(buildUnitName(unit)).toBe(want);
  });
});

describe('sanitizeLabelName()', () => {
  it.each([
    ['http.method', 'http_method'],
    ['http_method', 'http_method'],
    ['k8s.cluster.name', 'k8s_cluster_name'],
    ['a..b', 'a_b'],
    ['a__b', 'a_b'],
    ['1st', 'key_1st'],
    ['_private', 'key_private'],
    ['__name__', 'key_name_'],
    ['__reserved', 'key_reserved'],
    ['.x', 'key_x'],
    ['ünï', 'key_n_'],
    ['X-Forwarded-For', 'X_Forwarded_For'],
    ['', ''],
  ])('%s → %s', (key, want) => {
    expect(sanitizeLabelName(key)).toBe(want);
  });
});
