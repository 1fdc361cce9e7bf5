import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../protocol/index.js';
import { encodeMetadataV1, encodeSeriesV1 } from '../protocol/index.js';
import { MetricType } from '../model/index.js';
import { splitWriteRequest } from './split-write-request.js';
import { buildBatch } from '../../test/helpers/forward-fixtures.js';
import { decodeWriteRequest } from '../../test/helpers/remote-write-sink.js';

/** A fragment of `series` series (the i-th with i+1 samples and a label of `labelBytes`), then one metadata entry. */
function fragmentOf(series: number, labelBytes = 10): Uint8Array {
  const batch = buildBatch(
    Array.from({ length: series }, (_, i) => ({
      labels: { __name__: 'm', i: String(i), pad: 'x'.repeat(labelBytes) },
      samples: Array.from({ length: i + 1 }, (_, k) => [k, 1000 + k] as const),
    }))
  );
  const writer = new ProtobufWriter(1024);
  for (let i = 0; i < series; i++) encodeSeriesV1(batch, i, writer);
  encodeMetadataV1(
    { type: MetricType.GAUGE, familyName: 'm', help: 'h', unit: '' },
    writer
  );
  return writer.finish().slice();
}

describe('splitWriteRequest()', () => {
  it('returns the whole fragment as one piece when it fits', () => {
    const fragment = fragmentOf(3);
    const { pieces, oversized } = splitWriteRequest(fragment, 1 << 20);
    expect(oversized).toEqual([]);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.bytes).toEqual(fragment);
    expect(pieces[0]!.points).toBe(1 + 2 + 3);
  });

  it('cuts at entry boundaries into valid bodies within the limit, losing nothing', () => {
    const fragment = fragmentOf(20);
    const maxBytes = 600;
    const { pieces, oversized } = splitWriteRequest(fragment, maxBytes);
    expect(oversized).toEqual([]);
    expect(pieces.length).toBeGreaterThan(2);
    let points = 0;
    const names: string[] = [];
    for (const piece of pieces) {
      expect(piece.bytes.byteLength).toBeLessThanOrEqual(maxBytes);
      const decoded = decodeWriteRequest(piece.bytes);
      for (const s of decoded.series) names.push(s.labels[3]!);
      let piecePoints = 0;
      for (const s of decoded.series) piecePoints += s.samples.length;
      expect(piece.points).toBe(piecePoints);
      points += piece.points;
    }
    expect(names).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(points).toBe((20 * 21) / 2);
    expect(Buffer.concat(pieces.map(p => p.bytes))).toEqual(
      Buffer.from(fragment)
    );
  });

  it('returns an entry bigger than the limit as oversized, and keeps the rest', () => {
    const small = fragmentOf(2);
    const big = fragmentOf(1, 5000);
    const fragment = Buffer.concat([small, big, small]);
    const { pieces, oversized } = splitWriteRequest(fragment, 1000);
    expect(oversized).toHaveLength(1);
    expect(oversized[0]!.points).toBe(1);
    expect(oversized[0]!.bytes.byteLength).toBeGreaterThan(5000);
    expect(pieces.reduce((n, p) => n + p.points, 0)).toBe(3 + 3);
  });

  it.each([
    ['a truncated varint', new Uint8Array([0x0a, 0x80])],
    ['a length past the end', new Uint8Array([0x0a, 0x05, 0x01])],
    ['an unknown wire type', new Uint8Array([0x0f])],
  ])('throws on %s', (_name, bytes) => {
    expect(() => splitWriteRequest(bytes, 100)).toThrow(
      /cannot split a queued fragment/
    );
  });
});
