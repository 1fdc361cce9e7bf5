import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors.js';
import { createRandom } from '../../../../test/helpers/otlp-reference.js';
import { decodeLogsJson } from './decode-logs-json.js';
import { decodeLogsProtobuf } from './decode-logs-protobuf.js';
import { encodeExportLogsRequest } from './encode-logs-protobuf.js';
import {
  otlpLogsRequest,
  type RecordSpec,
  type ResourceSpec,
  type SpecValue,
} from '../../../../test/helpers/otlp-logs-fixtures.js';
import { encodeOtlpLogsJsonAsProtobuf } from '../../../../test/helpers/otlp-logs-reference.js';

const CASES = 1000;
const SEED_REQUESTS = 50;
const JSON_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  'null',
  'true',
  '-1',
  '1e400',
  '"NaN"',
  '"x"',
  '\\u0000',
  '\\ud800',
  '\xff',
];
const KEYS = [
  'service.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.cluster.name',
  'http.status_code',
  'msg',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomValue(random: () => number, depth: number): SpecValue {
  switch (Math.floor(random() * (depth > 2 ? 4 : 6))) {
    case 0:
      return `v${Math.floor(random() * 1000)}`;
    case 1:
      return Math.floor(random() * 1e6) - 5e5;
    case 2:
      return random() < 0.5;
    case 3:
      return random() * 100;
    case 4:
      return [randomValue(random, depth + 1), randomValue(random, depth + 1)];
    default:
      return { [pick(random, KEYS)]: randomValue(random, depth + 1) };
  }
}

function randomRequest(random: () => number): Record<string, unknown> {
  const resources: ResourceSpec[] = [];
  for (let r = 0; r < 1 + Math.floor(random() * 3); r++) {
    const records: RecordSpec[] = [];
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
      records.push({
        timeUnixNano: String(
          1_700_000_000_000_000_000n + BigInt(Math.floor(random() * 1e9))
        ),
        severityNumber: Math.floor(random() * 25),
        severityText: pick(random, ['INFO', 'WARN', 'Error', '']),
        body: randomValue(random, 0),
        attributes: {
          [pick(random, KEYS)]: randomValue(random, 0),
          [pick(random, KEYS)]: randomValue(random, 0),
        },
        traceId:
          random() < 0.5 ? '5b8efff798038103d269b633813fc60c' : undefined,
        spanId: random() < 0.5 ? 'eee19b7ec3c1b174' : undefined,
      } as RecordSpec);
    }
    resources.push({
      attributes: { 'service.name': `svc${r}`, 'k8s.cluster.name': 'prod' },
      records,
    });
  }
  return otlpLogsRequest(resources);
}

/** Applies 1–4 random byte-level mutations (flip, overwrite, insert, delete, cut, duplicate). */
function mutateBytes(random: () => number, input: Uint8Array): Uint8Array {
  let bytes = Array.from(input);
  const rounds = 1 + Math.floor(random() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0:
        if (at < bytes.length)
          bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
        break;
      case 1:
        if (at < bytes.length) bytes[at] = Math.floor(random() * 256);
        break;
      case 2:
        bytes.splice(at, 0, Math.floor(random() * 256));
        break;
      case 3:
        bytes.splice(at, 1 + Math.floor(random() * 4));
        break;
      case 4:
        bytes = bytes.slice(0, at);
        break;
      default: {
        const length = Math.floor(random() * 16);
        bytes.splice(at, 0, ...bytes.slice(at, at + length));
      }
    }
  }
  return Uint8Array.from(bytes);
}

function mutateJson(random: () => number, text: string): Uint8Array {
  let out = text;
  for (let r = 0; r < 1 + Math.floor(random() * 3); r++) {
    const at = Math.floor(random() * (out.length + 1));
    const token = pick(random, JSON_TOKENS);
    switch (Math.floor(random() * 3)) {
      case 0:
        out = out.slice(0, at) + token + out.slice(at);
        break;
      case 1:
        out =
          out.slice(0, at) +
          token +
          out.slice(at + 1 + Math.floor(random() * 8));
        break;
      default:
        out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 8));
    }
  }
  return new TextEncoder().encode(out);
}

/** Decodes; on success the batch must also re-encode (the forwarders will). Any throw must be a GatewayError. */
function check(
  decode: (body: Uint8Array) => ReturnType<typeof decodeLogsProtobuf>,
  body: Uint8Array
): 'ok' | 'refused' {
  try {
    const batch = decode(body);
    encodeExportLogsRequest(batch);
    return 'ok';
  } catch (err) {
    if (!(err instanceof GatewayError))
      throw new Error(
        `non-gateway error for body ${Buffer.from(body).toString('hex')}`,
        { cause: err }
      );
    expect(err.httpStatus).toBe(400);
    expect(err.message).toMatch(/^cannot decode OTLP logs: /);
    return 'refused';
  }
}

describe('OTLP logs decoders under mutated input', () => {
  const random = createRandom(20240601);
  const seeds = Array.from({ length: SEED_REQUESTS }, () =>
    randomRequest(random)
  );

  it(`only ever throw InvalidPayloadError on ${CASES} mutated protobuf bodies`, () => {
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const body = mutateBytes(
        random,
        encodeOtlpLogsJsonAsProtobuf(pick(random, seeds))
      );
      outcomes[check(decodeLogsProtobuf, body)]++;
    }
    // Both paths were exercised.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it(`only ever throw InvalidPayloadError on ${CASES} mutated JSON bodies`, () => {
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const body = mutateJson(random, JSON.stringify(pick(random, seeds)));
      outcomes[check(decodeLogsJson, body)]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
