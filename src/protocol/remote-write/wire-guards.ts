/**
 * Checks the remote write decoders run on the wire format that the
 * ProtobufReader alone cannot know: where a nested message ends, and which
 * field numbers a message defines.
 */
import { type ProtobufReader } from '../wire/protobuf-reader.js';
import { InvalidPayloadError } from '../../errors.js';
import { MetricType } from '../../model/index.js';

/** Bit n set = field n is defined by the message (all our field numbers are < 32). */
export function fieldMask(...fields: number[]): number {
  let mask = 0;
  for (const field of fields) mask |= 1 << field;
  return mask;
}

/**
 * Skips a field the decoder did not match. An unknown field number is skipped
 * (forward compatibility: senders may add fields). A known field number that
 * arrives with another wire type is an error, as is field number 0.
 */
export function skipField(
  reader: ProtobufReader,
  tag: number,
  knownFields: number,
  message: string
): void {
  const field = tag >>> 3;
  const wireType = tag & 7;
  if (field === 0) {
    throw new InvalidPayloadError(
      `cannot decode protobuf: ${message} has a field number 0 at offset ${reader.pos}`
    );
  }
  if (field < 32 && ((knownFields >>> field) & 1) === 1) {
    throw new InvalidPayloadError(
      `cannot decode protobuf: ${message} field ${field} has wire type ${wireType}, which does not match its type, at offset ${reader.pos}`
    );
  }
  reader.skip(wireType);
}

/**
 * After a nested message's fields: its last field must end exactly at the
 * length its parent declared. ProtobufReader bounds-checks against the
 * whole buffer only, so a field overrunning its parent is caught here.
 */
export function expectEnd(
  reader: ProtobufReader,
  end: number,
  message: string
): void {
  if (reader.pos !== end) {
    throw new InvalidPayloadError(
      `cannot decode protobuf: a field of ${message} overruns the message end at offset ${end} (reached ${reader.pos})`
    );
  }
}

/** A wire enum value as a MetricType; values from a newer proto read as UNKNOWN. */
export function metricTypeOf(value: number): MetricType {
  return value <= MetricType.STATESET
    ? (value as MetricType)
    : MetricType.UNKNOWN;
}
