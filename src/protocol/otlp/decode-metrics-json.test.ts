import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../errors.js';
import {
  createRandom,
  encodeOtlpJsonAsProtobuf,
  exampleMetricsJson,
  randomOtlpJsonRequest,
} from '../../../test/helpers/otlp-reference.js';
import { decodeMetricsJson } from './decode-metrics-json.js';
import { decodeMetricsProtobuf } from './decode-metrics-protobuf.js';
import type {
  OtlpMetricsRequest,
  OtlpNumberDataPoint,
} from './otlp-metrics-model.js';

const utf8 = new TextEncoder();

function decode(json: unknown): OtlpMetricsRequest {
  return decodeMetricsJson(
    utf8.encode(typeof json === 'string' ? json : JSON.stringify(json))
  );
}

function decodeError(json: unknown): InvalidPayloadError {
  try {
    decode(json);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return err as InvalidPayloadError;
  }
  throw new Error('decode succeeded');
}

/** A request with one metric; `metric` is merged into `{ name: 'm' }`. */
function oneMetric(metric: Record<string, unknown>): unknown {
  return {
    resourceMetrics: [
      { scopeMetrics: [{ metrics: [{ name: 'm', ...metric }] }] },
    ],
  };
}

function gaugePoint(point: Record<string, unknown>): OtlpNumberDataPoint {
  const data = decode(oneMetric({ gauge: { dataPoints: [point] } }))
    .resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.data!;
  return data.dataPoints[0] as OtlpNumberDataPoint;
}

describe('decodeMetricsJson()', () => {
  it('decodes the example request to the same model as its protobuf form', () => {
    const json = exampleMetricsJson();
    expect(decode(json)).toEqual(
      decodeMetricsProtobuf(encodeOtlpJsonAsProtobuf(json))
    );
  });

  it('decodes 300 random requests to the same model as their protobuf form', () => {
    const random = createRandom(7);
    for (let i = 0; i < 300; i++) {
      const json = randomOtlpJsonRequest(random);
      expect(decode(json), `request ${i}`).toEqual(
        decodeMetricsProtobuf(encodeOtlpJsonAsProtobuf(json))
      );
    }
  });

  it('decodes an empty object as an empty request', () => {
    expect(decode({})).toEqual({ resourceMetrics: [] });
  });

  it('accepts 64-bit integers as strings or numbers', () => {
    const asString = gaugePoint({
      asInt: '42',
      timeUnixNano: '1544712660300000000',
    });
    const asNumber = gaugePoint({
      asInt: 42,
      timeUnixNano: 1544712660300000000,
    });
    expect(asString).toEqual(asNumber);
    expect(asString).toMatchObject({
      value: 42,
      isInt: true,
      timeUnixMs: 1544712660300,
    });
  });

  it('accepts "NaN", "Infinity" and numeric strings for doubles', () => {
    expect(gaugePoint({ asDouble: 'NaN' }).value).toBeNaN();
    expect(gaugePoint({ asDouble: '-Infinity' }).value).toBe(-Infinity);
    expect(gaugePoint({ asDouble: '2.5' }).value).toBe(2.5);
  });

  it('reads trace and span ids as hex in any case, stored lowercase', () => {
    const point = gaugePoint({
      asDouble: 1,
      exemplars: [
        {
          asDouble: 1,
          traceId: '5B8EFFF798038103D269B633813FC60C',
          spanId: 'eee19b7ec3c1b174',
        },
      ],
    });
    expect(point.exemplars[0]).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
    });
  });

  it('ignores unknown fields, including snake_case spellings', () => {
    const plain = decode(
      oneMetric({ gauge: { dataPoints: [{ asDouble: 1 }] } })
    );
    const noisy = decode({
      futureField: { x: [1, 2] },
      resourceMetrics: [
        {
          extra: true,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'm',
                  gauge: {
                    dataPoints: [
                      { asDouble: 1, time_unix_nano: '5', whatever: null },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(noisy).toEqual(plain);
  });

  it('treats null as unset', () => {
    expect(
      decode({
        resourceMetrics: [
          {
            resource: null,
            schemaUrl: null,
            scopeMetrics: [
              { scope: null, metrics: [{ name: 'm', sum: null, gauge: null }] },
            ],
          },
        ],
      })
    ).toEqual(
      decode({
        resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm' }] }] }],
      })
    );
  });

  it('renders AnyValue cases as JS values', () => {
    const attributes = decode({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 's', value: { stringValue: 'x' } },
              { key: 'b', value: { boolValue: true } },
              { key: 'i', value: { intValue: '-9223372036854775808' } },
              { key: 'd', value: { doubleValue: 1.5 } },
              { key: 'y', value: { bytesValue: 'AQID' } },
              {
                key: 'a',
                value: { arrayValue: { values: [{ intValue: 1 }, {}] } },
              },
              {
                key: 'k',
                value: {
                  kvlistValue: {
                    values: [{ key: 'n', value: { stringValue: 'v' } }],
                  },
                },
              },
              { key: 'e', value: {} },
              { key: 'none' },
            ],
          },
        },
      ],
    }).resourceMetrics[0]!.resource.attributes;
    expect(attributes).toEqual([
      { key: 's', value: 'x' },
      { key: 'b', value: true },
      { key: 'i', value: -9223372036854775808n },
      { key: 'd', value: 1.5 },
      { key: 'y', value: new Uint8Array([1, 2, 3]) },
      { key: 'a', value: [1n, null] },
      { key: 'k', value: { kvlist: [{ key: 'n', value: 'v' }] } },
      { key: 'e', value: null },
      { key: 'none', value: null },
    ]);
  });

  describe('wrong types', () => {
    const point = (p: Record<string, unknown>) =>
      ({
        resourceMetrics: [
          {},
          {
            scopeMetrics: [
              {},
              { metrics: [{}, {}, { name: 'm', sum: { dataPoints: [p] } }] },
            ],
          },
        ],
      }) as unknown;
    const deep =
      'resourceMetrics[1].scopeMetrics[1].metrics[2].sum.dataPoints[0]';

    it.each([
      [
        'resourceMetrics not an array',
        { resourceMetrics: 5 },
        'resourceMetrics: want an array, got 5',
      ],
      [
        'a resource metrics entry not an object',
        { resourceMetrics: ['x'] },
        'resourceMetrics[0]: want an object, got "x"',
      ],
      ['the root not an object', [1], '(root): want an object, got an array'],
      [
        'asInt a fraction',
        point({ asInt: '1.5' }),
        `${deep}.asInt: want an integer, got "1.5"`,
      ],
      [
        'asInt a boolean',
        point({ asInt: true }),
        `${deep}.asInt: want an integer, got true`,
      ],
      [
        'asDouble a word',
        point({ asDouble: 'lots' }),
        `${deep}.asDouble: want a number, got "lots"`,
      ],
      [
        'both asInt and asDouble',
        point({ asInt: 1, asDouble: 1 }),
        `${deep}.asInt: want only one of asDouble and asInt`,
      ],
      [
        'a negative timestamp',
        point({ timeUnixNano: '-5' }),
        `${deep}.timeUnixNano: want unsigned integer nanoseconds`,
      ],
      [
        'flags a string word',
        point({ flags: 'x' }),
        `${deep}.flags: want an unsigned 32-bit integer`,
      ],
      [
        'an attribute key a number',
        point({ attributes: [{ key: 5 }] }),
        `${deep}.attributes[0].key: want a string, got 5`,
      ],
      [
        'an attribute int out of range',
        point({
          attributes: [
            { key: 'k', value: { intValue: '9223372036854775808' } },
          ],
        }),
        `${deep}.attributes[0].value.intValue: want a 64-bit integer`,
      ],
      [
        'two AnyValue cases',
        point({
          attributes: [
            { key: 'k', value: { stringValue: 'a', boolValue: true } },
          ],
        }),
        `${deep}.attributes[0].value.boolValue: want one value field, already have stringValue`,
      ],
      [
        'bytes not base64',
        point({ attributes: [{ key: 'k', value: { bytesValue: '!!' } }] }),
        `${deep}.attributes[0].value.bytesValue: want base64 bytes`,
      ],
      [
        'a trace id not hex',
        point({ exemplars: [{ traceId: 'zz'.repeat(16) }] }),
        `${deep}.exemplars[0].traceId: want 32 hex digits`,
      ],
      [
        'a span id too short',
        point({ exemplars: [{ spanId: 'abcd' }] }),
        `${deep}.exemplars[0].spanId: want 16 hex digits`,
      ],
      [
        'an enum given by name',
        oneMetric({
          sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA' },
        }),
        'metrics[0].sum.aggregationTemporality: want an integer enum value',
      ],
      [
        'isMonotonic a string',
        oneMetric({ sum: { isMonotonic: 'true' } }),
        'metrics[0].sum.isMonotonic: want a boolean',
      ],
      [
        'two data fields',
        oneMetric({ gauge: {}, sum: {} }),
        'metrics[0].sum: want one data field, already have gauge',
      ],
      [
        'dataPoints an object',
        oneMetric({ gauge: { dataPoints: {} } }),
        'metrics[0].gauge.dataPoints: want an array, got an object',
      ],
      [
        'a bucket count negative',
        oneMetric({ histogram: { dataPoints: [{ bucketCounts: [1, -1] }] } }),
        'histogram.dataPoints[0].bucketCounts[1]: want an unsigned integer, got -1',
      ],
      [
        'a bound a word',
        oneMetric({ histogram: { dataPoints: [{ explicitBounds: ['x'] }] } }),
        'histogram.dataPoints[0].explicitBounds[0]: want a number',
      ],
      [
        'a scale a fraction',
        oneMetric({ exponentialHistogram: { dataPoints: [{ scale: 1.5 }] } }),
        'exponentialHistogram.dataPoints[0].scale: want a 32-bit integer',
      ],
      [
        'a metric name a number',
        oneMetric({ name: 1 }),
        'metrics[0].name: want a string, got 1',
      ],
    ])('rejects %s', (_name, json, want) => {
      const error = decodeError(json);
      expect(error.message.startsWith('cannot decode OTLP metrics: ')).toBe(
        true
      );
      expect(error.message).toContain(want);
      expect(error.httpStatus).toBe(400);
    });
  });

  it('rejects invalid UTF-8 with 400', () => {
    const body = utf8.encode('{"resourceMetrics":[{"schemaUrl":"xx"}]}');
    body[body.indexOf(0x78)] = 0xc3; // a lead byte without its continuation
    expect(() => decodeMetricsJson(body)).toThrow(
      /cannot decode OTLP metrics: body is not valid UTF-8/
    );
  });

  it.each([[''], ['{'], ['{"resourceMetrics": [}'], ['nul']])(
    'rejects invalid JSON %j',
    text => {
      expect(decodeError(text).message).toMatch(
        /^cannot decode OTLP metrics: invalid JSON: /
      );
    }
  );

  it('rejects AnyValue nesting deeper than 32 levels', () => {
    let value: Record<string, unknown> = { stringValue: 'leaf' };
    for (let i = 0; i < 40; i++)
      value = { kvlistValue: { values: [{ key: 'k', value }] } };
    const error = decodeError({
      resourceMetrics: [{ resource: { attributes: [{ key: 'deep', value }] } }],
    });
    expect(error.message).toMatch(/want AnyValue nesting under 32 levels/);
  });
});
