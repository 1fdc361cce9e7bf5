import { describe, expect, it } from 'vitest';
import { DEFAULT_LOKI_STREAM_LABELS, logsSchema } from './logs-schema.js';

function issues(input: unknown): string[] {
  const result = logsSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
}

describe('logsSchema', () => {
  it('fills every default from an absent section', () => {
    const logs = logsSchema.parse(undefined);
    expect(logs.max_line_bytes).toBe(262144);
    expect(logs.limits).toEqual({
      ingestion_rate_bytes: 4194304,
      ingestion_burst_bytes: 6291456,
      per_cluster: {},
    });
    expect(logs.loki).toEqual({
      stream_labels: DEFAULT_LOKI_STREAM_LABELS,
      level_label: 'level',
      line_format: 'body',
      structured_metadata: true,
    });
    expect(logs.forward).toEqual({
      capacity_records: 200000,
      max_records_per_send: 1000,
      batch_send_deadline: 1000,
      min_backoff: 100,
      max_backoff: 10000,
      otlp_compression: 'gzip',
    });
  });

  it('keeps no pod, container or uid label in the default stream labels', () => {
    const sources = Object.values(DEFAULT_LOKI_STREAM_LABELS).flat();
    expect(
      sources.filter(s => /pod\.name|pod\.uid|container|\.uid$/.test(s))
    ).toEqual([]);
    expect(Object.keys(DEFAULT_LOKI_STREAM_LABELS)).toEqual([
      'cluster',
      'region',
      'env',
      'namespace',
      'service_name',
    ]);
  });

  it('replaces the stream label list as a whole, keeping its order', () => {
    const logs = logsSchema.parse({
      loki: {
        stream_labels: { cluster: ['cluster'], app: ['app', 'service.name'] },
      },
    });
    expect(Object.keys(logs.loki.stream_labels)).toEqual(['cluster', 'app']);
  });

  it('does not share the default list between parses', () => {
    const a = logsSchema.parse({});
    a.loki.stream_labels['cluster']!.push('mutated');
    expect(logsSchema.parse({}).loki.stream_labels['cluster']).toEqual([
      'cluster',
    ]);
  });

  it.each([
    [
      { loki: { stream_labels: { 'k8s.namespace': ['x'] } } },
      'loki.stream_labels.k8s.namespace: invalid Loki label name',
    ],
    [{ loki: { stream_labels: { __name__: ['x'] } } }, 'reserved in Loki'],
    [{ loki: { stream_labels: { app: [] } } }, 'loki.stream_labels.app'],
    [
      { loki: { stream_labels: { level: ['x'] } } },
      'loki.stream_labels.level: "level" is already the level_label',
    ],
    [{ loki: { line_format: 'logfmt' } }, 'loki.line_format'],
    [
      { forward: { min_backoff: '1s', max_backoff: '10ms' } },
      'forward.max_backoff: must not be below min_backoff',
    ],
    [
      { forward: { batch_send_deadline: 'soon' } },
      'forward.batch_send_deadline: invalid duration "soon"',
    ],
    [
      { limits: { per_cluster: { a: { ingestion_rate: 1 } } } },
      'limits.per_cluster.a',
    ],
    [{ max_line_bytes: 0 }, 'max_line_bytes'],
    [{ surprise: true }, 'Unrecognized key'],
  ])('refuses %j', (input, want) => {
    expect(issues(input).join('\n')).toContain(want);
  });

  it('allows no level label', () => {
    expect(
      logsSchema.parse({ loki: { level_label: '' } }).loki.level_label
    ).toBe('');
  });
});
