/**
 * Issue #11: one OTLP request with 10^6 attributes held the event loop for
 * over 13 minutes. The label builder was quadratic (`indexOf` per attribute,
 * insertion sorts) and nothing capped the attributes before it ran. Now the
 * decoders refuse such a request by its caps, and the builder is linear, so
 * even a set far over any cap builds at once (the old one took minutes on
 * the set below; the unit project's 15 s timeout fails it).
 */
import { describe, expect, it } from 'vitest';
import { RequestLimitError } from '../../src/errors.js';
import {
  decodeMetricsJson,
  decodeMetricsProtobuf,
  DEFAULT_REQUEST_LIMITS,
} from '../../src/protocol/index.js';
import { OtlpLabelBuilder } from '../../src/ingest/otlp/otlp-label-builder.js';
import type { OtlpKeyValue } from '../../src/protocol/index.js';
import { encodeOtlpJsonAsProtobuf } from '../helpers/otlp-reference.js';

const MILLION = 1_000_000;

function requestJson(attributes: Record<string, unknown>[]): unknown {
  return {
    resourceMetrics: [
      {
        resource: { attributes },
        scopeMetrics: [
          {
            scope: { name: 's' },
            metrics: [
              {
                name: 'm',
                gauge: {
                  dataPoints: [
                    { timeUnixNano: '1700000000000000000', asDouble: 1 },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('#11 a request with 10^6 attributes', () => {
  const attributes: Record<string, unknown>[] = [];
  for (let i = 0; i < MILLION; i++)
    attributes.push({ key: `attribute.${i}`, value: { stringValue: 'v' } });

  it('is refused by the attributes-per-resource cap (protobuf)', () => {
    // Encoded with the first 2,000 only (the reference encoder is slow); the
    // decoder stops at 1,025 either way.
    const body = encodeOtlpJsonAsProtobuf(
      requestJson(attributes.slice(0, 2000))
    );
    expect(() => decodeMetricsProtobuf(body)).toThrow(RequestLimitError);
    expect(() => decodeMetricsProtobuf(body)).toThrow(
      'request_limits.max_attributes_per_resource (1024)'
    );
  });

  it('is refused by the attributes-per-resource cap (JSON), or by the JSON body cap', () => {
    const body = Buffer.from(JSON.stringify(requestJson(attributes)));
    expect(() => decodeMetricsJson(body)).toThrow(
      'request_limits.max_json_bytes'
    );
    const raised = { ...DEFAULT_REQUEST_LIMITS, maxJsonBytes: 2 * body.length };
    expect(() => decodeMetricsJson(body, raised)).toThrow(
      'request_limits.max_attributes_per_resource (1024)'
    );
  });

  it('builds 10^5 labels in linear time, should a cap be raised that far', () => {
    const builder = new OtlpLabelBuilder();
    const many: OtlpKeyValue[] = [];
    // Reverse order: the old insertion sort's worst case.
    for (let i = 100_000; i > 0; i--)
      many.push({ key: `attribute.${String(i).padStart(6, '0')}`, value: 'v' });
    builder.reset();
    builder.addAttributes(many);
    builder.set('job', 'j');
    const labels = builder.build();
    expect(labels.length).toBe(2 * 100_001);
    expect(labels[0]).toBe('attribute_000001');
    expect(labels.at(-2)).toBe('job');
  });
});
