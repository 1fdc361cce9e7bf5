import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../../wire/protobuf-writer.js';
import { WireType } from '../../wire/protobuf-reader.js';
import { InvalidPayloadError } from '../../../errors.js';
import { LogDropReason, type LogBatch } from '../../../model/index.js';
import { decodeLogsJson } from './decode-logs-json.js';
import { decodeLogsProtobuf } from './decode-logs-protobuf.js';
import { encodeExportLogsRequest } from './encode-logs-protobuf.js';
import {
  otlpLogsRequest,
  type ResourceSpec,
} from '../../../../test/helpers/otlp-logs-fixtures.js';
import {
  encodeOtlpLogsJsonAsProtobuf,
  referenceDecodeOtlpLogs,
} from '../../../../test/helpers/otlp-logs-reference.js';

const LEN = WireType.LENGTH_DELIMITED;
const utf8 = new TextEncoder();

const RICH: ResourceSpec[] = [
  {
    attributes: {
      'service.name': 'checkout',
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'checkout-7d9f-abcde',
    },
    schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
    scopes: [
      {
        name: 'app.logger',
        version: '1.2.3',
        attributes: { 'scope.attr': true },
        records: [
          {
            timeUnixNano: '1700000000123456789',
            observedTimeUnixNano: '1700000000223456789',
            severityNumber: 17,
            severityText: 'ERROR',
            body: 'payment failed: card declined',
            attributes: {
              'http.status_code': 402,
              retry: false,
              ratio: 0.25,
              tags: ['a', 1, null],
              ctx: { user: 'u1', n: 2 },
            },
            traceId: '5B8EFFF798038103D269B633813FC60C',
            spanId: 'EEE19B7EC3C1B174',
            flags: 1,
            eventName: 'payment.failed',
          },
          {
            body: {
              msg: 'structured',
              level: 'info',
              nested: { deep: [1.5, 'x'] },
            },
            severityNumber: 9,
          },
        ],
      },
      { records: [{ body: 42 }, { body: 'an int64 past 2^53, set below' }] },
    ],
  },
  {
    attributes: { 'k8s.cluster.name': 'prod-eu' },
    records: [{ severityText: 'Warning' }],
  },
];

function richJson(): Record<string, unknown> {
  const json = otlpLogsRequest(RICH);
  // Values a spec cannot express: an int64 past 2^53, bytes, NaN as a string.
  const records = (
    (json['resourceLogs'] as Record<string, unknown>[])[0]![
      'scopeLogs'
    ] as Record<string, unknown>[]
  )[1]!['logRecords'] as Record<string, unknown>[];
  records[1]!['body'] = { intValue: '9223372036854775807' };
  records.push({
    body: { bytesValue: 'AAEC/w==' },
    attributes: [{ key: 'nan', value: { doubleValue: 'NaN' } }],
  });
  return json;
}

function decodeJsonObject(json: unknown): LogBatch {
  return decodeLogsJson(utf8.encode(JSON.stringify(json)));
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('decodeLogsProtobuf() and decodeLogsJson()', () => {
  it('decode the two encodings of one request to equal batches', () => {
    const json = richJson();
    const fromJson = decodeJsonObject(json);
    const fromProtobuf = decodeLogsProtobuf(encodeOtlpLogsJsonAsProtobuf(json));
    expect(fromProtobuf).toEqual(fromJson);
    expect(fromJson.recordCount).toBe(6);
    expect(fromJson.resources).toHaveLength(2);
    expect(fromJson.scopes).toHaveLength(3);
  });

  it('keeps every field of a record', () => {
    const batch = decodeJsonObject(richJson());
    const first = batch.records[0]!;
    expect(first).toEqual({
      scope: 0,
      timeUnixNano: 1700000000123456789n,
      observedTimeUnixNano: 1700000000223456789n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'payment failed: card declined',
      attributes: [
        { key: 'http.status_code', value: 402n },
        { key: 'retry', value: false },
        { key: 'ratio', value: 0.25 },
        { key: 'tags', value: ['a', 1n, null] },
        {
          key: 'ctx',
          value: {
            kvlist: [
              { key: 'user', value: 'u1' },
              { key: 'n', value: 2n },
            ],
          },
        },
      ],
      droppedAttributesCount: 0,
      flags: 1,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      eventName: 'payment.failed',
    });
    expect(batch.records[3]!.body).toBe(9223372036854775807n);
    expect(batch.records[4]!.body).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(batch.scopeOf(first)).toMatchObject({
      name: 'app.logger',
      version: '1.2.3',
      resource: 0,
    });
    expect(batch.resourceOf(batch.records[5]!).attributes).toEqual([
      { key: 'k8s.cluster.name', value: 'prod-eu' },
    ]);
    expect(batch.resources[0]!.schemaUrl).toBe(
      'https://opentelemetry.io/schemas/1.24.0'
    );
    expect(batch.dropped).toEqual(new Array(6).fill(LogDropReason.NONE));
  });

  it('read an empty body as an empty request', () => {
    expect(decodeLogsProtobuf(new Uint8Array(0)).recordCount).toBe(0);
    expect(decodeLogsJson(utf8.encode('{}')).recordCount).toBe(0);
  });

  it('skip unknown fields and keys', () => {
    const writer = new ProtobufWriter();
    writer.tag(1, LEN);
    writer.fork();
    writer.tag(2, LEN);
    writer.fork();
    writer.tag(2, LEN);
    writer.fork();
    writer.tag(3, LEN);
    writer.string('INFO');
    writer.tag(99, WireType.VARINT);
    writer.uint32(7);
    writer.tag(4, WireType.FIXED32); // reserved field 4
    writer.fixed32(1);
    writer.join();
    writer.join();
    writer.tag(1000, LEN); // deprecated instrumentation_library_logs
    writer.bytes(new Uint8Array([1, 2, 3]));
    writer.join();
    const batch = decodeLogsProtobuf(writer.finish());
    expect(batch.records.map(r => r.severityText)).toEqual(['INFO']);
    const fromJson = decodeJsonObject({
      resourceLogs: [
        {
          scopeLogs: [{ logRecords: [{ severityText: 'INFO', surprise: 1 }] }],
          extra: {},
        },
      ],
    });
    expect(fromJson.records.map(r => r.severityText)).toEqual(['INFO']);
  });

  it('accept numbers for 64-bit JSON integers and null for unset values', () => {
    const batch = decodeJsonObject({
      resourceLogs: [
        {
          resource: null,
          scopeLogs: [
            {
              scope: null,
              logRecords: [
                {
                  timeUnixNano: 1700000000000,
                  body: null,
                  traceId: null,
                  attributes: null,
                },
              ],
            },
          ],
        },
      ],
    });
    expect(batch.records[0]!.timeUnixNano).toBe(1700000000000n);
    expect(batch.records[0]!.body).toBeNull();
  });
});

describe('encodeExportLogsRequest()', () => {
  it('round-trips through the decoder', () => {
    const batch = decodeJsonObject(richJson());
    expect(decodeLogsProtobuf(encodeExportLogsRequest(batch))).toEqual(batch);
  });

  it('writes what the reference encoder writes for the same request', () => {
    const json = richJson();
    const batch = decodeJsonObject(json);
    expect(referenceDecodeOtlpLogs(encodeExportLogsRequest(batch))).toEqual(
      referenceDecodeOtlpLogs(encodeOtlpLogsJsonAsProtobuf(json))
    );
  });

  it('leaves out dropped records and the envelopes they leave empty', () => {
    const batch = decodeJsonObject(richJson());
    batch.dropped[5] = LogDropReason.LINE_TOO_LONG;
    batch.dropped[2] = LogDropReason.LINE_TOO_LONG;
    batch.dropped[3] = LogDropReason.LINE_TOO_LONG;
    batch.dropped[4] = LogDropReason.LINE_TOO_LONG;
    const back = decodeLogsProtobuf(encodeExportLogsRequest(batch));
    expect(back.resources).toHaveLength(1);
    expect(back.scopes).toHaveLength(1);
    expect(back.records).toEqual(batch.records.slice(0, 2));
  });
});

/** A protobuf body whose single record has the given fields (written by `write`). */
function recordBody(write: (w: ProtobufWriter) => void): Uint8Array {
  const w = new ProtobufWriter();
  w.tag(1, LEN);
  w.fork();
  w.tag(2, LEN);
  w.fork();
  w.tag(2, LEN);
  w.fork();
  write(w);
  w.join();
  w.join();
  w.join();
  return w.finish().slice();
}

function nestedArrays(depth: number): (w: ProtobufWriter) => void {
  return w => {
    w.tag(5, LEN);
    w.fork();
    for (let i = 0; i < depth; i++) {
      w.tag(5, LEN);
      w.fork();
      w.tag(1, LEN);
      w.fork();
    }
    for (let i = 0; i < depth; i++) {
      w.join();
      w.join();
    }
    w.join();
  };
}

describe('decodeLogsProtobuf() on malformed input', () => {
  const valid = encodeOtlpLogsJsonAsProtobuf(richJson());

  it.each([
    [
      'a body cut short',
      valid.subarray(0, valid.length - 3),
      /cannot decode OTLP logs: .*(truncated|overruns)/,
    ],
    ['a truncated varint', new Uint8Array([0x0a, 0x80]), /truncated varint/],
    [
      'time_unix_nano as a varint',
      recordBody(w => {
        w.tag(1, WireType.VARINT);
        w.uint32(5);
      }),
      /field 1 has wire type varint, want fixed64/,
    ],
    [
      'a trace_id of 5 bytes',
      recordBody(w => {
        w.tag(9, LEN);
        w.bytes(new Uint8Array(5));
      }),
      /log record trace_id of 5 bytes at offset \d+, want 16/,
    ],
    [
      'a span_id of 16 bytes',
      recordBody(w => {
        w.tag(10, LEN);
        w.bytes(new Uint8Array(16));
      }),
      /log record span_id of 16 bytes at offset \d+, want 8/,
    ],
    [
      'invalid UTF-8 in severity_text',
      recordBody(w => {
        w.tag(3, LEN);
        w.bytes(new Uint8Array([0xc3, 0x28]));
      }),
      /invalid UTF-8/,
    ],
    ['field number 0', new Uint8Array([0x00, 0x01]), /invalid field number 0/],
    ['a group wire type', new Uint8Array([0x0b]), /wire type/],
    [
      'a nested message overrunning its parent',
      new Uint8Array([0x0a, 0x02, 0x12, 0x05, 0x00, 0x00]),
      /overruns/,
    ],
    [
      'AnyValue nested 40 levels deep',
      recordBody(nestedArrays(40)),
      /nested deeper than 32 levels/,
    ],
  ])('refuses %s', (_name, body, want) => {
    expect(message(() => decodeLogsProtobuf(body))).toMatch(want);
  });

  it('prefixes every message with what it was decoding', () => {
    expect(
      message(() => decodeLogsProtobuf(new Uint8Array([0x0a, 0x80])))
    ).toMatch(/^cannot decode OTLP logs: /);
  });
});

describe('decodeLogsJson() on malformed input', () => {
  const record = (fields: Record<string, unknown>): unknown => ({
    resourceLogs: [{ scopeLogs: [{ logRecords: [fields] }] }],
  });

  it.each([
    [
      'a severity name',
      record({ severityNumber: 'SEVERITY_NUMBER_INFO' }),
      'resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: want an integer enum value, got "SEVERITY_NUMBER_INFO"',
    ],
    [
      'a negative timestamp',
      record({ timeUnixNano: '-1' }),
      'logRecords[0].timeUnixNano: want unsigned integer nanoseconds, got "-1"',
    ],
    [
      'a fractional timestamp',
      record({ timeUnixNano: 1.5 }),
      'timeUnixNano: want unsigned integer nanoseconds, got 1.5',
    ],
    [
      'a short trace id',
      record({ traceId: 'abc' }),
      'logRecords[0].traceId: want 32 hex digits, got "abc"',
    ],
    [
      'a non-hex span id',
      record({ spanId: 'zzzzzzzzzzzzzzzz' }),
      'spanId: want 16 hex digits',
    ],
    [
      'two value fields',
      record({ body: { stringValue: 'a', intValue: '1' } }),
      'logRecords[0].body.intValue: want one value field, already have stringValue',
    ],
    [
      'an int past int64',
      record({ body: { intValue: '9223372036854775808' } }),
      'body.intValue: want a 64-bit integer',
    ],
    [
      'bytes that are not base64',
      record({ body: { bytesValue: '***' } }),
      'body.bytesValue: want base64 bytes',
    ],
    [
      'attributes that are not a list',
      record({ attributes: {} }),
      'logRecords[0].attributes: want an array, got an object',
    ],
    [
      'a flags string',
      record({ flags: 'x' }),
      'flags: want an unsigned 32-bit integer, got "x"',
    ],
    [
      'resourceLogs that is an object',
      { resourceLogs: {} },
      'resourceLogs: want an array, got an object',
    ],
    ['a root array', [], '(root): want an object, got an array'],
    [
      'a kvlist entry that is a string',
      record({ body: { kvlistValue: { values: ['x'] } } }),
      'body.kvlistValue.values[0]: want an object, got "x"',
    ],
  ])('refuses %s', (_name, json, want) => {
    expect(message(() => decodeJsonObject(json))).toContain(
      `cannot decode OTLP logs: `
    );
    expect(message(() => decodeJsonObject(json))).toContain(want);
  });

  it('refuses invalid JSON and invalid UTF-8', () => {
    expect(
      message(() => decodeLogsJson(utf8.encode('{"resourceLogs": [')))
    ).toMatch(/^cannot decode OTLP logs: invalid JSON: /);
    expect(
      message(() => decodeLogsJson(new Uint8Array([0x7b, 0xff, 0x7d])))
    ).toBe('cannot decode OTLP logs: body is not valid UTF-8');
  });

  it('refuses AnyValue nested too deep', () => {
    let value: unknown = { stringValue: 'x' };
    for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
    expect(message(() => decodeJsonObject(record({ body: value })))).toContain(
      'want AnyValue nesting under 32 levels'
    );
  });
});
