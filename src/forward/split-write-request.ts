/**
 * Cuts a queued remote write fragment that is bigger than one send into
 * pieces that fit, at entry boundaries. A fragment is a run of top-level
 * WriteRequest fields (PROTOCOLS.md §2; forward-queue.ts):
 *
 * | field | wire type | what                         |
 * | ----- | --------- | ---------------------------- |
 * | 1     | 2 (LEN)   | TimeSeries                   |
 * | 3     | 2 (LEN)   | MetricMetadata (no points)   |
 *
 * Any run of whole entries is a valid WriteRequest body, so each piece is a
 * view of a contiguous range of the fragment (no copy). An entry bigger
 * than `maxBytes` on its own cannot be sent by any request this shard
 * builds: it is returned as `oversized`, for the caller to set aside.
 * Points of a TimeSeries are its samples (field 2) plus histograms (field 4).
 */
import type { FragmentSplit, SplitPiece } from './queue-sender.js';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const TIMESERIES_FIELD = 1;
const SAMPLES_FIELD = 2;
const HISTOGRAMS_FIELD = 4;

/** See the module comment. Throws on a fragment that is not a run of whole fields. */
export function splitWriteRequest(
  fragment: Uint8Array,
  maxBytes: number
): FragmentSplit {
  const pieces: SplitPiece[] = [];
  const oversized: SplitPiece[] = [];
  const cursor = { pos: 0 };
  let pieceStart = 0;
  let piecePoints = 0;
  while (cursor.pos < fragment.length) {
    const entryStart = cursor.pos;
    const tag = readVarint(fragment, cursor);
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    const valueStart = skipValue(fragment, cursor, wireType);
    const entryEnd = cursor.pos;
    const points =
      field === TIMESERIES_FIELD && wireType === WIRE_LEN
        ? countSeriesPoints(fragment, valueStart, entryEnd)
        : 0;
    if (entryEnd - entryStart > maxBytes) {
      if (entryStart > pieceStart) {
        pieces.push({
          bytes: fragment.subarray(pieceStart, entryStart),
          points: piecePoints,
        });
      }
      oversized.push({
        bytes: fragment.subarray(entryStart, entryEnd),
        points,
      });
      pieceStart = entryEnd;
      piecePoints = 0;
      continue;
    }
    if (entryEnd - pieceStart > maxBytes) {
      pieces.push({
        bytes: fragment.subarray(pieceStart, entryStart),
        points: piecePoints,
      });
      pieceStart = entryStart;
      piecePoints = 0;
    }
    piecePoints += points;
  }
  if (fragment.length > pieceStart) {
    pieces.push({ bytes: fragment.subarray(pieceStart), points: piecePoints });
  }
  return { pieces, oversized };
}

function countSeriesPoints(
  bytes: Uint8Array,
  start: number,
  end: number
): number {
  const cursor = { pos: start };
  let points = 0;
  while (cursor.pos < end) {
    const tag = readVarint(bytes, cursor);
    const field = Math.floor(tag / 8);
    if (field === SAMPLES_FIELD || field === HISTOGRAMS_FIELD) points++;
    skipValue(bytes, cursor, tag & 7);
  }
  return points;
}

/** Skips one value of `wireType` at cursor.pos; returns where its payload starts. */
function skipValue(
  bytes: Uint8Array,
  cursor: { pos: number },
  wireType: number
): number {
  switch (wireType) {
    case WIRE_VARINT: {
      const start = cursor.pos;
      readVarint(bytes, cursor);
      return start;
    }
    case WIRE_I64:
      return advance(bytes, cursor, 8);
    case WIRE_LEN: {
      const length = readVarint(bytes, cursor);
      return advance(bytes, cursor, length);
    }
    case WIRE_I32:
      return advance(bytes, cursor, 4);
    default:
      throw new Error(
        `cannot split a queued fragment: unknown wire type ${wireType} at byte ${cursor.pos}`
      );
  }
}

function advance(
  bytes: Uint8Array,
  cursor: { pos: number },
  length: number
): number {
  const start = cursor.pos;
  if (start + length > bytes.length) {
    throw new Error(
      `cannot split a queued fragment: a ${length}-byte field at byte ${start} runs past its end (${bytes.length} bytes)`
    );
  }
  cursor.pos = start + length;
  return start;
}

function readVarint(bytes: Uint8Array, cursor: { pos: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= bytes.length) break;
    const b = bytes[cursor.pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  throw new Error(
    `cannot split a queued fragment: truncated varint at byte ${cursor.pos}`
  );
}
