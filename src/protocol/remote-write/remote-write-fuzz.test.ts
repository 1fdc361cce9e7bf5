/**
 * Mutated valid bodies must never crash the decoders: each decode either
 * returns or throws an InvalidPayloadError (a 400), never another error and
 * never a hang, and it leaves the batch usable. Seeded, so reproducible.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError, InvalidPayloadError } from '../../errors.js';
import { SeriesBatch } from '../../model/index.js';
import {
  batchToV1Object,
  encodeV1Request,
  encodeV2Request,
  randomV1Request,
  randomV2Request,
  seededRandom,
} from '../../../test/helpers/remote-write-reference.js';
import { decodeWriteRequestV1 } from './decode-write-request-v1.js';
import { decodeWriteRequestV2 } from './decode-write-request-v2.js';
import { SeriesLabelCache } from './series-label-cache.js';

const MUTATED_BODIES = 3000;
const INTERESTING_BYTES = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22, 0x2a, 0x0b, 0x0e, 0x0f,
];

function mutate(body: Uint8Array, random: () => number): Uint8Array {
  let bytes = body.slice();
  const int = (below: number): number => Math.floor(random() * below);
  for (let n = 1 + int(4); n > 0; n--) {
    const at = int(bytes.length + 1);
    switch (int(6)) {
      case 0: // bit flip
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case 1: // truncation
        bytes = bytes.slice(0, at);
        break;
      case 2: {
        // insertion of random or interesting bytes
        const insert = Uint8Array.from({ length: 1 + int(4) }, () =>
          random() < 0.5
            ? int(256)
            : INTERESTING_BYTES[int(INTERESTING_BYTES.length)]!
        );
        const next = new Uint8Array(bytes.length + insert.length);
        next.set(bytes.subarray(0, at));
        next.set(insert, at);
        next.set(bytes.subarray(at), at + insert.length);
        bytes = next;
        break;
      }
      case 3: {
        // swap two bytes
        const other = int(bytes.length);
        if (at < bytes.length)
          [bytes[at], bytes[other]] = [bytes[other]!, bytes[at]!];
        break;
      }
      case 4: // overwrite with an interesting byte (lengths, tags, wire types)
        if (at < bytes.length)
          bytes[at] = INTERESTING_BYTES[int(INTERESTING_BYTES.length)]!;
        break;
      default: {
        // delete a range
        const length = 1 + int(8);
        const next = new Uint8Array(Math.max(0, bytes.length - length));
        next.set(bytes.subarray(0, at).subarray(0, next.length));
        if (at + length < bytes.length)
          next.set(bytes.subarray(at + length), at);
        bytes = next;
      }
    }
  }
  return bytes;
}

type Decoder = (
  body: Uint8Array,
  batch: SeriesBatch,
  cache?: SeriesLabelCache
) => unknown;

/** Decodes and classifies; any error other than InvalidPayloadError fails the test. */
function outcome(
  decoder: Decoder,
  body: Uint8Array,
  batch: SeriesBatch
): 'ok' | 'refused' {
  const seriesBefore = batch.seriesCount;
  try {
    decoder(body, batch);
    return 'ok';
  } catch (err) {
    if (!(err instanceof InvalidPayloadError)) {
      throw new Error(
        `decoder threw a non-400 error for body ${Buffer.from(body).toString('hex')}`,
        { cause: err }
      );
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.message).toMatch(/^cannot decode write request: /);
    expect(batch.seriesCount).toBe(seriesBefore);
    return 'refused';
  }
}

describe('remote write decoders under mutated input', () => {
  it.each<[string, Decoder, () => Uint8Array]>([
    [
      'decodeWriteRequestV1',
      decodeWriteRequestV1,
      (): Uint8Array => encodeV1Request(randomV1Request(seededRandom(11), 6)),
    ],
    [
      'decodeWriteRequestV2',
      decodeWriteRequestV2,
      (): Uint8Array => encodeV2Request(randomV2Request(seededRandom(12), 6)),
    ],
  ])(
    '%s returns or refuses with 400 on 3000 mutated bodies, then still decodes a valid one',
    (_, decoder, validBody) => {
      const random = seededRandom(0xf022);
      const valid = validBody();
      const otherDecoder =
        decoder === decodeWriteRequestV1
          ? decodeWriteRequestV2
          : decodeWriteRequestV1;
      const batch = new SeriesBatch();
      const counts = { ok: 0, refused: 0 };
      for (let i = 0; i < MUTATED_BODIES; i++) {
        const body = mutate(valid, random);
        counts[outcome(decoder, body, batch)]++;
        // The other version's decoder must be as robust on foreign bytes.
        outcome(otherDecoder, body, batch);
        if (batch.seriesCount > 10_000) batch.reset();
      }
      // Both paths were exercised.
      expect(counts.refused).toBeGreaterThan(MUTATED_BODIES / 4);
      expect(counts.ok).toBeGreaterThan(10);
      batch.reset();
      const stats = decoder(valid, batch) as { series: number };
      expect(stats.series).toBeGreaterThan(0);
      expect(batch.seriesCount).toBe(stats.series);
    },
    30_000
  );

  it('decode the same with a warm series cache (shared by both versions) as without one', () => {
    const random = seededRandom(0xcac4e);
    const cache = new SeriesLabelCache();
    const bodies: [Decoder, Uint8Array][] = [
      [
        decodeWriteRequestV1,
        encodeV1Request(randomV1Request(seededRandom(21), 6)),
      ],
      [
        decodeWriteRequestV2,
        encodeV2Request(randomV2Request(seededRandom(22), 6)),
      ],
    ];
    // Warm the cache with the valid bodies, whose mutations mostly keep their labels.
    for (const [decoder, body] of bodies)
      decoder(body, new SeriesBatch(), cache);
    const hitsBefore = cache.hits;
    let agreedOk = 0;
    const result = (
      decoder: Decoder,
      body: Uint8Array,
      withCache: SeriesLabelCache | undefined
    ): unknown => {
      const batch = new SeriesBatch();
      try {
        decoder(body, batch, withCache);
      } catch (err) {
        return (err as Error).message;
      }
      return {
        batch: batchToV1Object(batch, true),
        metadata: batch.metadata.slice(0, batch.seriesCount),
      };
    };
    for (let i = 0; i < MUTATED_BODIES; i++) {
      const [decoder, valid] = bodies[i % 2]!;
      const body = mutate(valid, random);
      const plain = result(decoder, body, undefined);
      const cached = result(decoder, body, cache);
      if (decoder === decodeWriteRequestV1 && typeof plain === 'string') {
        // 1.0 reads a series' labels after its other fields on the cache
        // path, so it may name another of several faults in a series.
        expect(cached).toMatch(/^cannot decode write request: /);
      } else {
        expect(cached).toEqual(plain);
      }
      if (typeof plain !== 'string') agreedOk++;
    }
    expect(agreedOk).toBeGreaterThan(10);
    expect(cache.hits).toBeGreaterThan(hitsBefore);
  }, 30_000);
});
