import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors.js';
import { SeriesBatch } from '../../model/index.js';
import {
  createRandom,
  encodeOtlpJsonAsProtobuf,
  randomOtlpJsonRequest,
} from '../../../test/helpers/otlp-reference.js';
import { decodeMetricsJson } from './decode-metrics-json.js';
import { decodeMetricsProtobuf } from './decode-metrics-protobuf.js';
import { DeltaToCumulative } from '../../ingest/index.js';
import { OtlpMetricsConverter } from '../../ingest/index.js';
import type { OtlpMetricsRequest } from './otlp-metrics-model.js';

const PROTOBUF_CASES = 2000;
const JSON_CASES = 1000;
/** Distinct valid requests the mutations start from (encoding them is the slow part). */
const SEED_REQUESTS = 100;
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
  '\xff',
];

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
  const rounds = 1 + Math.floor(random() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (out.length + 1));
    const token = JSON_TOKENS[Math.floor(random() * JSON_TOKENS.length)]!;
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
  // Sometimes mutate the UTF-8 bytes too, to reach invalid encodings.
  const bytes = new TextEncoder().encode(out);
  return random() < 0.2 ? mutateBytes(random, bytes) : bytes;
}

/** Decodes, and converts whatever decodes; returns the error if one is thrown. */
function run(
  decode: (body: Uint8Array) => OtlpMetricsRequest,
  body: Uint8Array
): unknown {
  try {
    const request = decode(body);
    new OtlpMetricsConverter({
      promoteResourceAttributes: ['k8s.pod.name'],
      deltaState: new DeltaToCumulative(),
    }).convert(request, new SeriesBatch(), 'fuzz');
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('OTLP metrics decoders under mutation', () => {
  it(`decode ${PROTOBUF_CASES} mutated protobuf bodies or throw GatewayError`, () => {
    const random = createRandom(0xf0221);
    const seeds = Array.from({ length: SEED_REQUESTS }, () =>
      encodeOtlpJsonAsProtobuf(randomOtlpJsonRequest(random))
    );
    let rejected = 0;
    for (let i = 0; i < PROTOBUF_CASES; i++) {
      const body = mutateBytes(random, seeds[i % SEED_REQUESTS]!);
      const error = run(decodeMetricsProtobuf, body);
      if (error === undefined) continue;
      rejected++;
      if (!(error instanceof GatewayError))
        throw new Error(`case ${i}: ${inspect(error)}`, { cause: error });
    }
    // The mutations must actually reach the error paths.
    expect(rejected).toBeGreaterThan(PROTOBUF_CASES / 4);
  });

  it(`decode ${JSON_CASES} mutated JSON bodies or throw GatewayError`, () => {
    const random = createRandom(0x15011);
    const seeds = Array.from({ length: SEED_REQUESTS }, () =>
      JSON.stringify(randomOtlpJsonRequest(random))
    );
    let rejected = 0;
    for (let i = 0; i < JSON_CASES; i++) {
      const body = mutateJson(random, seeds[i % SEED_REQUESTS]!);
      const error = run(decodeMetricsJson, body);
      if (error === undefined) continue;
      rejected++;
      if (!(error instanceof GatewayError))
        throw new Error(`case ${i}: ${inspect(error)}`, { cause: error });
    }
    expect(rejected).toBeGreaterThan(JSON_CASES / 4);
  });
});
