/**
 * The decode-time request caps through a built gateway (#11): the hostile
 * requests of the issue are refused with 400 or 413 naming the cap, while
 * `/-/healthy` keeps answering, and a label value over the cap is refused
 * by that cap (or, past the body cap, by the body cap).
 *
 * Needs `npm run build` first.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snappyCompress } from '../../src/protocol/wire/index.js';
import {
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { encodeV1Request } from '../helpers/remote-write-reference.js';

const TOKEN = 'prod-eu-token-0123456789';
const CLUSTERS = `clusters:
  - {name: prod-eu, region: eu-west-1, env: prod, team: payments, token: ${TOKEN}}
`;
const MILLION = 1_000_000;
const MiB = 1024 * 1024;
const HEALTH_CHECKS = 10;

/** The request: one resource with `count` attributes, as OTLP/JSON. */
function millionAttributesJson(count: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < count; i++)
    parts.push(
      `{"key":"attribute_${String(i).padStart(7, '0')}","value":{"stringValue":"value"}}`
    );
  return Buffer.from(
    `{"resourceMetrics":[{"resource":{"attributes":[${parts.join(',')}]},"scopeMetrics":[{"scope":{"name":"s"},"metrics":[{"name":"m","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asDouble":1}]}}]}]}]}`
  );
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A length-delimited field: tag, length, bytes. */
function field(fieldNumber: number, content: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([(fieldNumber << 3) | 2, ...varint(content.length)]),
    content,
  ]);
}

function keyValue(key: string, value: string): Buffer {
  return Buffer.concat([
    field(1, Buffer.from(key)),
    field(2, field(1, Buffer.from(value))),
  ]);
}

/**
 * The same in protobuf, hand-encoded (a reference encoder takes minutes on
 * 10^6 attributes): all on the resource, or `perPoint` to a data point
 * (the per-point cap then never trips; the per-request one does).
 */
function millionAttributesProtobuf(count: number, perPoint?: number): Buffer {
  const attributes: Buffer[] = [];
  for (let i = 0; i < count; i++)
    attributes.push(keyValue(`attribute.number.${i}`, `value-${i}`));
  const fixed64 = Buffer.alloc(9);
  fixed64[0] = (3 << 3) | 1; // time_unix_nano
  fixed64.writeBigUInt64LE(1_700_000_000_000_000_000n, 1);
  if (perPoint === undefined) {
    const point = field(1, fixed64);
    const metric = Buffer.concat([field(1, Buffer.from('m')), field(5, point)]);
    const resource = Buffer.concat(attributes.map(a => field(1, a)));
    return field(
      1,
      Buffer.concat([field(1, resource), field(2, field(2, metric))])
    );
  }
  const points: Buffer[] = [];
  for (let start = 0; start < count; start += perPoint) {
    const own = attributes.slice(start, start + perPoint).map(a => field(7, a));
    points.push(field(1, Buffer.concat([fixed64, ...own])));
  }
  const metric = Buffer.concat([
    field(1, Buffer.from('m')),
    field(5, Buffer.concat(points)),
  ]);
  return field(1, field(2, field(2, metric)));
}

function remoteWriteBody(labelValueBytes: number): Uint8Array {
  return snappyCompress(
    encodeV1Request({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'huge', value: 'x'.repeat(labelValueBytes) },
          ],
          samples: [{ value: 1, timestamp: Date.now() }],
        },
      ],
    })
  );
}

interface Answer {
  status: number;
  text: string;
}

async function post(
  gateway: GatewayProcess,
  path: string,
  body: Uint8Array,
  headers: Record<string, string>
): Promise<Answer> {
  const res = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  // Protobuf error bodies (google.rpc.Status) carry the message as UTF-8.
  return {
    status: res.status,
    text: Buffer.from(await res.arrayBuffer()).toString('latin1'),
  };
}

/** Posts `body` while HEALTH_CHECKS `/-/healthy` requests go out alongside it. */
async function postWhileCheckingHealth(
  gateway: GatewayProcess,
  path: string,
  body: Uint8Array,
  headers: Record<string, string>
): Promise<{ answer: Answer; health: number[] }> {
  const write = post(gateway, path, body, headers);
  const health: Promise<number>[] = [];
  for (let i = 0; i < HEALTH_CHECKS; i++)
    health.push(fetch(`${gateway.url}/-/healthy`).then(r => r.status));
  return { answer: await write, health: await Promise.all(health) };
}

describe('request caps through the built gateway (defaults)', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway(CLUSTERS);
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it("builds the issue's OTLP/JSON request: 2.6 MB gzip, 60 MB raw", () => {
    const raw = millionAttributesJson(MILLION);
    // Under the 64 MiB decompressed cap, so the JSON cap is the one reached.
    expect(raw.length).toBeLessThan(64 * MiB);
    expect(gzipSync(raw).length).toBeGreaterThan(2.5e6);
  });

  const JSON_TYPE = 'application/json';
  const PROTOBUF = 'application/x-protobuf';
  it.each<[string, string, () => Uint8Array, string, number, string | RegExp]>([
    [
      'the 2.6 MB-gzip OTLP/JSON request with 10^6 attributes, by the JSON body cap',
      '/v1/metrics',
      () => gzipSync(millionAttributesJson(MILLION)),
      `${JSON_TYPE};gzip`,
      413,
      'over request_limits.max_json_bytes (4194304)',
    ],
    [
      'its protobuf equivalent, by the attributes-per-resource cap',
      '/v1/metrics',
      () => gzipSync(millionAttributesProtobuf(MILLION)),
      `${PROTOBUF};gzip`,
      400,
      'resource has more than 1024 attributes (before offset',
    ],
    [
      '10^6 attributes spread over points, by the per-request cap',
      '/v1/metrics',
      () => gzipSync(millionAttributesProtobuf(MILLION, 250)),
      `${PROTOBUF};gzip`,
      413,
      'over request_limits.max_labels_per_request (200000)',
    ],
    [
      'a 10 MiB label value, by the label value cap',
      '/api/v1/write',
      () => remoteWriteBody(10 * MiB),
      `${PROTOBUF};snappy`,
      400,
      /^cannot decode write request: series 0: label value of 10485760 bytes at offset \d+, over request_limits\.max_label_value_bytes \(65536\)/,
    ],
  ])(
    'refuses %s, answering /-/healthy meanwhile',
    async (_, path, build, typeAndEncoding, status, message) => {
      const [type, encoding] = typeAndEncoding.split(';') as [string, string];
      const { answer, health } = await postWhileCheckingHealth(
        gateway,
        path,
        build(),
        { 'content-type': type, 'content-encoding': encoding }
      );
      expect(answer.status).toBe(status);
      if (typeof message === 'string') expect(answer.text).toContain(message);
      else expect(answer.text).toMatch(message);
      expect(health).toEqual(new Array(HEALTH_CHECKS).fill(200));
    }
  );

  it('counts the refusals and exports the event loop delay', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(
      /^fleetgate_rejected_requests_total\{[^}]*reason="request_limit"[^}]*\} [1-9]/m
    );
    expect(text).toMatch(
      /^fleetgate_event_loop_delay_seconds\{quantile="0.99"\} /m
    );
    expect(text).toMatch(/^fleetgate_event_loop_delay_max_seconds /m);
  });
});

describe('request caps through the built gateway (small body caps)', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway(`server:
  max_body_bytes: ${2 * MiB}
  max_decompressed_bytes: ${4 * MiB}
request_limits:
  max_label_value_bytes: 4096
${CLUSTERS}`);
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('refuses a 1 MiB label value, under the body caps, by the label value cap', async () => {
    const answer = await post(gateway, '/api/v1/write', remoteWriteBody(MiB), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(
      /label value of 1048576 bytes at offset \d+, over request_limits\.max_label_value_bytes \(4096\)/
    );
  });

  it('refuses a 10 MiB label value, over the decompressed cap, naming the body limit', async () => {
    const answer = await post(
      gateway,
      '/api/v1/write',
      remoteWriteBody(10 * MiB),
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }
    );
    expect(answer.status).toBe(413);
    expect(answer.text).toContain(String(4 * MiB));
    expect(answer.text).not.toContain('max_label_value_bytes');
  });

  it('accepts a label value at the cap', async () => {
    const answer = await post(gateway, '/api/v1/write', remoteWriteBody(4096), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
    });
    expect(answer.status).toBe(204);
  });
});
