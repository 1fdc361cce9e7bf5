import { describe, expect, it } from 'vitest';
import { logsSchema, type LokiMappingConfig } from '../../config/index.js';
import { parseLokiLabels } from '../../../test/helpers/loki-reference.js';
import {
  buildLogBatch,
  type RecordSpec,
  type ResourceSpec,
  type SpecValue,
} from '../../../test/helpers/otlp-logs-fixtures.js';
import { LogDropReason } from '../../model/index.js';
import { LokiStreamMapper, quoteLabelValue } from './loki-stream-mapper.js';

/** Attributes of a normalized resource (what LogNormalizer leaves). */
const IDENTITY = {
  cluster: 'prod-eu',
  region: 'eu-west-1',
  env: 'prod',
  team: 'payments',
};
const POD = {
  'k8s.namespace.name': 'shop',
  'k8s.pod.name': 'checkout-7d9f-abcde',
  'k8s.pod.uid': '1f2e3d4c-0000-1111-2222-333344445555',
  'k8s.container.name': 'app',
  'k8s.node.name': 'node-1',
};

function config(loki: Partial<LokiMappingConfig> = {}): LokiMappingConfig {
  return logsSchema.parse({ loki }).loki;
}

function map(
  resources: ResourceSpec[],
  loki: Partial<LokiMappingConfig> = {},
  receivedAtMs = 1_700_000_000_000
) {
  return new LokiStreamMapper(config(loki)).map(
    buildLogBatch(resources, receivedAtMs)
  );
}

/** The label sets of the streams of one resource with these records. */
function labelsOf(
  resource: Record<string, SpecValue>,
  records: RecordSpec[],
  loki: Partial<LokiMappingConfig> = {}
) {
  return map([{ attributes: resource, records }], loki).map(s =>
    parseLokiLabels(s.labels)
  );
}

function metadataOf(entry: {
  structuredMetadata: readonly string[];
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < entry.structuredMetadata.length; i += 2)
    out[entry.structuredMetadata[i]!] = entry.structuredMetadata[i + 1]!;
  return out;
}

describe('LokiStreamMapper', () => {
  describe('stream labels', () => {
    it.each<
      [
        string,
        Record<string, SpecValue>,
        RecordSpec,
        Partial<LokiMappingConfig>,
        Record<string, string>,
      ]
    >([
      [
        'picks cluster, region, env, namespace, service_name and level by default, nothing per pod',
        { ...IDENTITY, ...POD, 'service.name': 'checkout' },
        { body: 'x', severityNumber: 9 },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          namespace: 'shop',
          service_name: 'checkout',
          level: 'info',
        },
      ],
      [
        'falls back to the pod app label when service.name is the SDK default',
        {
          ...IDENTITY,
          'service.name': 'unknown_service:node',
          'k8s.pod.labels.app': 'cart',
        },
        { body: 'x' },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          service_name: 'cart',
        },
      ],
      [
        'falls back to the workload name',
        { ...IDENTITY, 'k8s.deployment.name': 'cart-api' },
        { body: 'x' },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          service_name: 'cart-api',
        },
      ],
      [
        'takes a label the resource lacks from the record (k8s_events: namespace on the record)',
        { ...IDENTITY, 'k8s.object.kind': 'Pod' },
        {
          body: 'Back-off restarting',
          severityNumber: 13,
          attributes: { 'k8s.namespace.name': 'payments' },
        },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          namespace: 'payments',
          level: 'warn',
        },
      ],
      [
        'prefers the resource over the record',
        { ...IDENTITY, 'k8s.namespace.name': 'shop' },
        { body: 'x', attributes: { 'k8s.namespace.name': 'spoofed' } },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          namespace: 'shop',
        },
      ],
      [
        'never lets a record name its own cluster',
        { ...IDENTITY },
        { body: 'x', attributes: { cluster: 'other' } },
        {},
        { cluster: 'prod-eu', region: 'eu-west-1', env: 'prod' },
      ],
      [
        'maps severity_text when severity_number is unset',
        { ...IDENTITY },
        { body: 'x', severityText: 'Warning' },
        {},
        { cluster: 'prod-eu', region: 'eu-west-1', env: 'prod', level: 'warn' },
      ],
      [
        'leaves out an unknown level',
        { ...IDENTITY },
        { body: 'x', severityText: 'chatty' },
        {},
        { cluster: 'prod-eu', region: 'eu-west-1', env: 'prod' },
      ],
      [
        'has no level label when level_label is empty',
        { ...IDENTITY },
        { body: 'x', severityNumber: 17 },
        { level_label: '' },
        { cluster: 'prod-eu', region: 'eu-west-1', env: 'prod' },
      ],
      [
        'follows a configured list',
        { ...IDENTITY, ...POD, 'service.name': 'checkout' },
        { body: 'x', severityNumber: 21 },
        {
          stream_labels: {
            cluster: ['cluster'],
            app: ['service.name'],
            container: ['k8s.container.name'],
          },
          level_label: 'severity',
        },
        {
          cluster: 'prod-eu',
          app: 'checkout',
          container: 'app',
          severity: 'fatal',
        },
      ],
      [
        'skips a value too long for Loki',
        { ...IDENTITY, 'service.name': 'x'.repeat(3000), app: 'short' },
        { body: 'x' },
        {},
        {
          cluster: 'prod-eu',
          region: 'eu-west-1',
          env: 'prod',
          service_name: 'short',
        },
      ],
      [
        'falls back to the cluster when no label has a value',
        { ...IDENTITY },
        { body: 'x' },
        { stream_labels: { app: ['app'] }, level_label: '' },
        { cluster: 'unknown' },
      ],
    ])('%s', (_name, resource, record, loki, want) => {
      expect(labelsOf(resource, [record], loki)).toEqual([want]);
    });

    it('writes labels sorted by name, quoted as Go string literals', () => {
      const [stream] = map([
        {
          attributes: {
            ...IDENTITY,
            'service.name': 'say "hi"\\\n\u0001\ud800',
          },
          records: [{ body: 'x', severityNumber: 9 }],
        },
      ]);
      expect(stream!.labels).toBe(
        '{cluster="prod-eu", env="prod", level="info", region="eu-west-1", service_name="say \\"hi\\"\\\\\\n\\u0001\uFFFD"}'
      );
      expect(parseLokiLabels(stream!.labels)['service_name']).toBe(
        'say "hi"\\\n\u0001\uFFFD'
      );
    });

    it('quotes like JSON, which Go reads', () => {
      expect(quoteLabelValue('a"b')).toBe('"a\\"b"');
    });
  });

  describe('streams', () => {
    it('groups records by label set across resources, keeping record order', () => {
      const streams = map([
        {
          attributes: {
            ...IDENTITY,
            'service.name': 'a',
            'k8s.pod.name': 'a-1',
          },
          records: [
            { body: '1', severityNumber: 9 },
            { body: '2', severityNumber: 17 },
          ],
        },
        {
          attributes: {
            ...IDENTITY,
            'service.name': 'a',
            'k8s.pod.name': 'a-2',
          },
          records: [{ body: '3', severityNumber: 9 }],
        },
        {
          attributes: { ...IDENTITY, 'service.name': 'b' },
          records: [{ body: '4', severityNumber: 9 }],
        },
      ]);
      expect(
        streams.map(s => [
          parseLokiLabels(s.labels)['service_name'],
          parseLokiLabels(s.labels)['level'],
          s.entries.map(e => e.line),
        ])
      ).toEqual([
        ['a', 'info', ['1', '3']],
        ['a', 'error', ['2']],
        ['b', 'info', ['4']],
      ]);
    });

    it('skips dropped records', () => {
      const batch = buildLogBatch([
        { attributes: IDENTITY, records: [{ body: '1' }, { body: '2' }] },
      ]);
      batch.dropped[0] = LogDropReason.LINE_TOO_LONG;
      const streams = new LokiStreamMapper(config()).map(batch);
      expect(streams.flatMap(s => s.entries.map(e => e.line))).toEqual(['2']);
    });

    it('maps a batch once however many times it is asked', () => {
      const mapper = new LokiStreamMapper(config());
      const batch = buildLogBatch([
        { attributes: IDENTITY, records: [{ body: '1' }] },
      ]);
      expect(mapper.map(batch)).toBe(mapper.map(batch));
    });

    it('stamps the event time, else the observed time, else the receive time, in ns', () => {
      const streams = map(
        [
          {
            attributes: IDENTITY,
            records: [
              {
                body: 'a',
                timeUnixNano: '1700000000123456789',
                observedTimeUnixNano: '1700000001000000000',
              },
              { body: 'b', observedTimeUnixNano: '1700000001000000001' },
              { body: 'c' },
            ],
          },
        ],
        {},
        1_700_000_002_000
      );
      expect(streams[0]!.entries.map(e => e.timeUnixNano)).toEqual([
        1700000000123456789n,
        1700000001000000001n,
        1700000002000000000n,
      ]);
    });
  });

  describe('line_format body', () => {
    it.each<[string, SpecValue | undefined, string]>([
      ['a string body as it is', 'GET /cart 200', 'GET /cart 200'],
      [
        'a map body as JSON',
        { msg: 'hi', n: 2, ok: true },
        '{"msg":"hi","n":2,"ok":true}',
      ],
      ['an array body as JSON', ['a', 1.5], '["a",1.5]'],
      ['no body as an empty line', undefined, ''],
      ['a number body as text', 42, '42'],
    ])('writes %s', (_name, body, want) => {
      const record: RecordSpec = body === undefined ? {} : { body };
      expect(
        map([{ attributes: IDENTITY, records: [record] }])[0]!.entries[0]!.line
      ).toBe(want);
    });

    it('puts everything that is not a label into structured metadata, names sanitized', () => {
      const [stream] = map([
        {
          attributes: { ...IDENTITY, ...POD, 'service.name': 'checkout' },
          scopes: [
            {
              name: 'app.logger',
              version: '1.0.0',
              records: [
                {
                  body: 'x',
                  severityNumber: 17,
                  severityText: 'ERROR',
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  eventName: 'payment.failed',
                  attributes: {
                    'http.status_code': 402,
                    'k8s.node.name': 'from-record',
                    empty: '',
                  },
                },
              ],
            },
          ],
        },
      ]);
      expect(metadataOf(stream!.entries[0]!)).toEqual({
        k8s_pod_name: 'checkout-7d9f-abcde',
        k8s_pod_uid: '1f2e3d4c-0000-1111-2222-333344445555',
        k8s_container_name: 'app',
        // The record's value wins over the resource's on a name clash.
        k8s_node_name: 'from-record',
        team: 'payments',
        scope_name: 'app.logger',
        scope_version: '1.0.0',
        http_status_code: '402',
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
        severity_text: 'ERROR',
        severity_number: '17',
        event_name: 'payment.failed',
      });
    });

    it('does not repeat a record attribute that became a label', () => {
      const [stream] = map([
        {
          attributes: IDENTITY,
          records: [
            {
              body: 'x',
              attributes: {
                'k8s.namespace.name': 'payments',
                reason: 'BackOff',
              },
            },
          ],
        },
      ]);
      expect(metadataOf(stream!.entries[0]!)).toEqual({
        team: 'payments',
        reason: 'BackOff',
      });
    });

    it('keeps a value too long for a label in structured metadata', () => {
      const long = 'x'.repeat(3000);
      const [stream] = map([
        {
          attributes: { ...IDENTITY, 'service.name': long },
          records: [{ body: 'x' }],
        },
      ]);
      expect(metadataOf(stream!.entries[0]!)['service_name']).toBe(long);
    });

    it('sends no structured metadata when it is disabled', () => {
      const [stream] = map(
        [{ attributes: { ...IDENTITY, ...POD }, records: [{ body: 'x' }] }],
        { structured_metadata: false }
      );
      expect(stream!.entries[0]!.structuredMetadata).toEqual([]);
    });
  });

  describe('line_format json', () => {
    it('writes the body and every other field as one JSON object', () => {
      const [stream] = map(
        [
          {
            attributes: {
              ...IDENTITY,
              'service.name': 'checkout',
              'k8s.pod.name': 'p-1',
            },
            scopes: [
              {
                name: 'app.logger',
                records: [
                  {
                    body: { msg: 'declined', amount: 9007199254740992 },
                    severityNumber: 17,
                    severityText: 'ERROR',
                    traceId: '5b8efff798038103d269b633813fc60c',
                    attributes: { 'http.status_code': 402 },
                  },
                ],
              },
            ],
          },
        ],
        { line_format: 'json' }
      );
      const entry = stream!.entries[0]!;
      expect(entry.structuredMetadata).toEqual([]);
      expect(JSON.parse(entry.line)).toEqual({
        body: { msg: 'declined', amount: '9007199254740992' },
        severity: 'ERROR',
        severity_number: 17,
        traceid: '5b8efff798038103d269b633813fc60c',
        attributes: { 'http.status_code': 402 },
        resources: { 'k8s.pod.name': 'p-1', team: 'payments' },
        instrumentation_scope: { name: 'app.logger' },
      });
    });
  });
});
