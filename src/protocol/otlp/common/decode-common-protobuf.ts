/**
 * Protobuf readers shared by the OTLP metrics and logs decoders
 * (decode-metrics-protobuf.ts, logs/decode-logs-protobuf.ts): field helpers
 * and the common messages KeyValue, AnyValue, ArrayValue, KeyValueList,
 * Resource and InstrumentationScope, and the envelopes around them (the
 * request, ResourceMetrics/ResourceLogs, ScopeMetrics/ScopeLogs), so both
 * signals merge a repeated field the same way. Pure; errors are
 * InvalidPayloadError.
 *
 * The two decoders differ in one rule, kept here as a flag rather than
 * unified: how a string field that overruns its enclosing message is
 * reported. With `lenStrings` false (metrics) the string is decoded first
 * and the overrun reported as `string field N ending at offset …`; with it
 * true (logs) the field is checked as a LEN field before decoding, as
 * `field N of … bytes at offset … overruns its enclosing message`.
 *
 * The value types are the metrics model's; the log model's LogAnyValue and
 * LogKeyValue have the same shape, so the results are assignable to both.
 *
 * Why this file is long: the common OTLP messages nest into each other (AnyValue holds ArrayValue and KeyValueList, which hold AnyValue again), so their readers are one recursive descent.
 */
import {
  InvalidPayloadError,
  GatewayError,
  RequestLimitError,
} from '../../../errors.js';
import {
  RequestItemCounter,
  overRequestLimit,
  type RequestLimits,
} from '../../request-limits.js';
import {
  ProtobufReader,
  WireType,
  decodeUtf8,
} from '../../wire/protobuf-reader.js';
import {
  MAX_ANY_VALUE_DEPTH,
  type OtlpAnyValue,
  type OtlpKeyValue,
} from '../otlp-metrics-model.js';

/** Checks a LEN field and returns the end of its body, which must lie inside `parentEnd`. */
export function nested(
  r: ProtobufReader,
  tag: number,
  parentEnd: number
): number {
  expectWireType(r, tag, WireType.LENGTH_DELIMITED);
  const end = r.delimitedEnd();
  if (end > parentEnd) {
    throw new InvalidPayloadError(
      `field ${tag >>> 3} of ${end - r.pos} bytes at offset ${r.pos} overruns its enclosing message`
    );
  }
  return end;
}

/** A UTF-8 string field; see the file comment for `lenStrings`. */
export function readString(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  lenStrings: boolean
): string {
  if (lenStrings) {
    const end = nested(r, tag, parentEnd);
    const start = r.pos;
    r.pos = end;
    return decodeUtf8(r.buf, start, end);
  }
  expectWireType(r, tag, WireType.LENGTH_DELIMITED);
  const value = r.string();
  if (r.pos > parentEnd) {
    throw new InvalidPayloadError(
      `string field ${tag >>> 3} ending at offset ${r.pos} overruns its enclosing message`
    );
  }
  return value;
}

/** int64 varint with all 64 bits (attribute ints are rendered as text, so precision matters). */
export function readVarintBigInt(r: ProtobufReader): bigint {
  const buf = r.buf;
  let pos = r.pos;
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++];
    if (b === undefined)
      throw new InvalidPayloadError(`truncated varint at offset ${r.pos}`);
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return BigInt.asIntN(64, result);
    }
    shift += 7n;
  }
  throw new InvalidPayloadError(
    `varint longer than 10 bytes at offset ${r.pos}`
  );
}

/**
 * A trace or span id as lowercase hex; empty stays ''. `owner` names the
 * message in the error (`exemplar`, `log record`).
 */
export function readId(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  want: number,
  owner: string,
  name: string
): string {
  const end = nested(r, tag, parentEnd);
  const start = r.pos;
  const length = end - start;
  r.pos = end;
  if (length === 0) return '';
  if (length !== want) {
    throw new InvalidPayloadError(
      `${owner} ${name} of ${length} bytes at offset ${start}, want ${want}`
    );
  }
  return bytesToHex(r.buf, start, end);
}

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes [start, end). */
export function bytesToHex(
  buf: Uint8Array,
  start = 0,
  end = buf.length
): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX_BYTE[buf[i]!]!;
  return out;
}

const WIRE_TYPE_NAMES = [
  'varint',
  'fixed64',
  'length-delimited',
  'start-group',
  'end-group',
  'fixed32',
  '6',
  '7',
];

export function expectWireType(
  r: ProtobufReader,
  tag: number,
  want: number
): void {
  const got = tag & 7;
  if (got !== want) {
    throw new InvalidPayloadError(
      `field ${tag >>> 3} has wire type ${WIRE_TYPE_NAMES[got]!}, want ${WIRE_TYPE_NAMES[want]!} (before offset ${r.pos})`
    );
  }
}

export function skipField(r: ProtobufReader, tag: number): void {
  if (tag >>> 3 === 0)
    throw new InvalidPayloadError(
      `invalid field number 0 before offset ${r.pos}`
    );
  r.skip(tag & 7);
}

export function checkEnd(r: ProtobufReader, end: number): void {
  if (r.pos !== end) {
    throw new InvalidPayloadError(
      `a field overruns its enclosing message: offset ${r.pos}, message ends at ${end}`
    );
  }
}

const PROTOBUF_PREFIX = 'cannot decode protobuf: ';

/**
 * A GatewayError as `cannot decode OTLP <signal>: …` (a RequestLimitError
 * keeps its class and status); anything else unchanged.
 */
export function wrapError(err: unknown, signal: string): unknown {
  if (err instanceof RequestLimitError)
    return err.withPrefix(`cannot decode OTLP ${signal}: `);
  if (err instanceof GatewayError) {
    const detail = err.message.startsWith(PROTOBUF_PREFIX)
      ? err.message.slice(PROTOBUF_PREFIX.length)
      : err.message;
    return new InvalidPayloadError(`cannot decode OTLP ${signal}: ${detail}`, {
      cause: err,
    });
  }
  return err;
}

// ---- caps ------------------------------------------------------------------

/**
 * The request limits a decoder applies to attributes: counts always, and
 * with `labelBytes` (metrics, whose attributes become labels) the bytes of
 * each key and string value, checked from the length prefix before decoding.
 */
export interface AttributeCaps {
  readonly limits: RequestLimits;
  readonly labelBytes: boolean;
  /** Attributes of the whole request so far (maxLabelsPerRequest). */
  readonly attributes: RequestItemCounter;
}

/**
 * Refuses the attribute about to be added to `attributes` when it would
 * pass the cap of its owner or the request's total; counts it.
 */
function checkAttributeCount(
  r: ProtobufReader,
  caps: AttributeCaps,
  attributes: readonly OtlpKeyValue[],
  cap: AttributeCapName,
  owner: string
): void {
  // A switch, not `caps.limits[cap]`: a keyed load with varying keys is slow per attribute.
  const max = capValue(caps.limits, cap);
  if (attributes.length === max) {
    throw overRequestLimit(
      caps.limits,
      cap,
      `${owner} has more than ${max} attributes (before offset ${r.pos})`
    );
  }
  caps.attributes.add(1);
}

function capValue(limits: RequestLimits, cap: AttributeCapName): number {
  switch (cap) {
    case 'maxAttributesPerResource':
      return limits.maxAttributesPerResource;
    case 'maxAttributesPerScope':
      return limits.maxAttributesPerScope;
    case 'maxAttributesPerPoint':
      return limits.maxAttributesPerPoint;
    case 'maxAttributesPerLogRecord':
      return limits.maxAttributesPerLogRecord;
  }
}

/** The attribute caps of one decode call, with a fresh per-request total. */
export function attributeCaps(
  limits: RequestLimits,
  labelBytes: boolean
): AttributeCaps {
  return {
    limits,
    labelBytes,
    attributes: new RequestItemCounter(
      limits,
      'maxLabelsPerRequest',
      'attributes'
    ),
  };
}

/** The caps of one decode call, passed down with the reader: attributes, and the request's data points or log records. */
export interface DecodeCaps extends AttributeCaps {
  /** Data points (metrics) or log records (logs) of the request so far. */
  readonly items: RequestItemCounter;
}

/** The caps of one decode call, with fresh per-request totals. */
export function decodeCaps(
  limits: RequestLimits,
  labelBytes: boolean,
  itemCap: 'maxPointsPerRequest' | 'maxLogRecordsPerRequest',
  itemNoun: string
): DecodeCaps {
  return {
    ...attributeCaps(limits, labelBytes),
    items: new RequestItemCounter(limits, itemCap, itemNoun),
  };
}

/** The byte lengths of OTLP trace and span ids. */
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

type AttributeCapName =
  | 'maxAttributesPerResource'
  | 'maxAttributesPerScope'
  | 'maxAttributesPerPoint'
  | 'maxAttributesPerLogRecord';

/**
 * Reads the attribute (KeyValue field `tag`) at the reader into
 * `attributes`, after checking it against the owner's cap (`owner` names it
 * in the message) and the request's total.
 */
export function addAttribute(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  lenStrings: boolean,
  caps: AttributeCaps,
  attributes: OtlpKeyValue[],
  cap: AttributeCapName,
  owner: string
): void {
  checkAttributeCount(r, caps, attributes, cap, owner);
  attributes.push(
    readAttribute(r, nested(r, tag, parentEnd), lenStrings, caps)
  );
}

/**
 * readString, refusing a string longer than the cap by its length prefix,
 * before decoding it (the same errors otherwise).
 */
function readCappedString(
  r: ProtobufReader,
  tag: number,
  parentEnd: number,
  lenStrings: boolean,
  limits: RequestLimits,
  cap: 'maxLabelNameBytes' | 'maxLabelValueBytes',
  what: string
): string {
  // The length prefix is read once: this runs per attribute.
  expectWireType(r, tag, WireType.LENGTH_DELIMITED);
  const at = r.pos;
  const end = r.delimitedEnd();
  const length = end - r.pos;
  const max =
    cap === 'maxLabelNameBytes'
      ? limits.maxLabelNameBytes
      : limits.maxLabelValueBytes;
  if (length > max) {
    throw overRequestLimit(
      limits,
      cap,
      `${what} of ${length} bytes at offset ${at}`
    );
  }
  if (lenStrings && end > parentEnd) {
    throw new InvalidPayloadError(
      `field ${tag >>> 3} of ${length} bytes at offset ${r.pos} overruns its enclosing message`
    );
  }
  const value = decodeUtf8(r.buf, r.pos, end);
  r.pos = end;
  if (end > parentEnd) {
    throw new InvalidPayloadError(
      `string field ${tag >>> 3} ending at offset ${end} overruns its enclosing message`
    );
  }
  return value;
}

// ---- common messages -------------------------------------------------------

/** `Resource` fields 1 and 2, merged into `into` (a repeated field merges, as proto3 says). */
export function readResourceInto(
  r: ProtobufReader,
  end: number,
  into: { attributes: OtlpKeyValue[]; droppedAttributesCount: number },
  lenStrings: boolean,
  caps: AttributeCaps
): void {
  readAttributedInto(
    r,
    end,
    into,
    undefined,
    1,
    'maxAttributesPerResource',
    'resource',
    lenStrings,
    caps
  );
}

/** `InstrumentationScope`, merged into `into`. */
export function readScopeInto(
  r: ProtobufReader,
  end: number,
  into: {
    name: string;
    version: string;
    attributes: OtlpKeyValue[];
    droppedAttributesCount: number;
  },
  lenStrings: boolean,
  caps: AttributeCaps
): void {
  readAttributedInto(
    r,
    end,
    into,
    into,
    3,
    'maxAttributesPerScope',
    'scope',
    lenStrings,
    caps
  );
}

/**
 * A message with attributes and their dropped count in two consecutive
 * fields from `attributesField` (Resource: 1 and 2; InstrumentationScope: 3
 * and 4, after `named`'s name 1 and version 2), merged into `into`.
 */
function readAttributedInto(
  r: ProtobufReader,
  end: number,
  into: { attributes: OtlpKeyValue[]; droppedAttributesCount: number },
  named: { name: string; version: string } | undefined,
  attributesField: number,
  cap: AttributeCapName,
  owner: string,
  lenStrings: boolean,
  caps: AttributeCaps
): void {
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === attributesField) {
      addAttribute(r, tag, end, lenStrings, caps, into.attributes, cap, owner);
    } else if (field === attributesField + 1) {
      expectWireType(r, tag, WireType.VARINT);
      into.droppedAttributesCount = r.uint32();
    } else if (named !== undefined && field === 1) {
      named.name = readString(r, tag, end, lenStrings);
    } else if (named !== undefined && field === 2) {
      named.version = readString(r, tag, end, lenStrings);
    } else {
      skipField(r, tag);
    }
  }
  checkEnd(r, end);
}

// ---- envelopes -------------------------------------------------------------

/** Reads one child message (ending at `end`) of an envelope into `context`. */
export type ChildReader<Context, Caps extends AttributeCaps> = (
  r: ProtobufReader,
  end: number,
  context: Context,
  caps: Caps
) => void;

/**
 * Decodes an export request body: every field 1 (resource_metrics,
 * resource_logs) goes to `readChild`, other fields are skipped, and errors
 * come back prefixed `cannot decode OTLP <signal>: `.
 */
export function decodeRequest<Context, Caps extends AttributeCaps>(
  body: Uint8Array,
  signal: string,
  readChild: ChildReader<Context, Caps>,
  context: Context,
  caps: Caps
): void {
  // A plain Uint8Array view: a Node Buffer's own `subarray` (used per
  // string) builds a FastBuffer and costs several times more. Measured in
  // otlp-metrics.bench.ts.
  const r = new ProtobufReader(
    new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  );
  try {
    const end = body.length;
    while (r.pos < end) {
      const tag = r.tag();
      if (tag >>> 3 === 1) readChild(r, nested(r, tag, end), context, caps);
      else skipField(r, tag);
    }
  } catch (err) {
    throw wrapError(err, signal);
  }
}

/**
 * ResourceMetrics/ResourceLogs (1 resource, 2 scope_*, 3 schema_url) and
 * ScopeMetrics/ScopeLogs (1 scope, 2 metrics or log_records, 3 schema_url)
 * have one shape. Field 1 is read by `readHead` into `head`, merged however
 * often it comes, as proto3 merges a repeated embedded message (last scalar
 * wins, repeated fields concatenate); each field 2 goes to `readChild`.
 * Returns schema_url (the last one, '' without one).
 */
export function readEnvelope<Head, Context, Caps extends AttributeCaps>(
  r: ProtobufReader,
  end: number,
  head: Head,
  readHead: (
    r: ProtobufReader,
    end: number,
    into: Head,
    lenStrings: boolean,
    caps: AttributeCaps
  ) => void,
  readChild: ChildReader<Context, Caps>,
  context: Context,
  lenStrings: boolean,
  caps: Caps
): string {
  let schemaUrl = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        readHead(r, nested(r, tag, end), head, lenStrings, caps);
        break;
      case 2:
        readChild(r, nested(r, tag, end), context, caps);
        break;
      case 3:
        schemaUrl = readString(r, tag, end, lenStrings);
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return schemaUrl;
}

/**
 * A top-level attribute (a KeyValue of a resource, scope, point or record):
 * with `caps.labelBytes`, its key and string value are checked against the
 * label byte caps.
 */
export function readAttribute(
  r: ProtobufReader,
  end: number,
  lenStrings: boolean,
  caps: AttributeCaps
): OtlpKeyValue {
  return readKeyValue(
    r,
    end,
    0,
    lenStrings,
    caps.labelBytes ? caps.limits : undefined,
    caps.attributes
  );
}

/**
 * A KeyValue; with `labelLimits`, key and string value bytes are capped;
 * with `elements`, each array element and kvlist entry inside its value is
 * counted there (they cost what attributes cost).
 */
export function readKeyValue(
  r: ProtobufReader,
  end: number,
  depth: number,
  lenStrings: boolean,
  labelLimits?: RequestLimits,
  elements?: RequestItemCounter
): OtlpKeyValue {
  const out: OtlpKeyValue = { key: '', value: null };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.key =
          labelLimits === undefined
            ? readString(r, tag, end, lenStrings)
            : readCappedString(
                r,
                tag,
                end,
                lenStrings,
                labelLimits,
                'maxLabelNameBytes',
                'attribute key'
              );
        break;
      case 2:
        out.value = readAnyValue(
          r,
          nested(r, tag, end),
          depth,
          lenStrings,
          labelLimits,
          elements
        );
        break;
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return out;
}

/** An AnyValue; `labelLimits` and `elements` as for readKeyValue. */
export function readAnyValue(
  r: ProtobufReader,
  end: number,
  depth: number,
  lenStrings: boolean,
  labelLimits?: RequestLimits,
  elements?: RequestItemCounter
): OtlpAnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) {
    throw new InvalidPayloadError(
      `AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels at offset ${r.pos}`
    );
  }
  // A oneof: the last case on the wire wins, as in every proto3 decoder.
  let value: OtlpAnyValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        value =
          labelLimits === undefined
            ? readString(r, tag, end, lenStrings)
            : readCappedString(
                r,
                tag,
                end,
                lenStrings,
                labelLimits,
                'maxLabelValueBytes',
                'attribute value'
              );
        break;
      case 2:
        expectWireType(r, tag, WireType.VARINT);
        value = r.bool();
        break;
      case 3:
        expectWireType(r, tag, WireType.VARINT);
        value = readVarintBigInt(r);
        break;
      case 4:
        expectWireType(r, tag, WireType.FIXED64);
        value = r.double();
        break;
      case 5:
        value = readListValues(
          r,
          nested(r, tag, end),
          depth + 1,
          lenStrings,
          elements,
          readAnyValue
        );
        break;
      case 6:
        value = {
          kvlist: readListValues(
            r,
            nested(r, tag, end),
            depth + 1,
            lenStrings,
            elements,
            readKeyValue
          ),
        };
        break;
      case 7: {
        const bytesEnd = nested(r, tag, end);
        // Copied so the model does not pin the request body. Not `slice`:
        // on a Node Buffer body that returns a view.
        value = new Uint8Array(r.buf.subarray(r.pos, bytesEnd));
        r.pos = bytesEnd;
        break;
      }
      default:
        skipField(r, tag);
    }
  }
  checkEnd(r, end);
  return value;
}

/**
 * The repeated field 1 of `ArrayValue` (AnyValues, with readAnyValue) or
 * `KeyValueList` (KeyValues, with readKeyValue), each element counted in
 * `elements`.
 */
function readListValues<T>(
  r: ProtobufReader,
  end: number,
  depth: number,
  lenStrings: boolean,
  elements: RequestItemCounter | undefined,
  readElement: (
    r: ProtobufReader,
    end: number,
    depth: number,
    lenStrings: boolean,
    labelLimits: undefined,
    elements: RequestItemCounter | undefined
  ) => T
): T[] {
  const values: T[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      elements?.add(1);
      values.push(
        readElement(
          r,
          nested(r, tag, end),
          depth,
          lenStrings,
          undefined,
          elements
        )
      );
    } else skipField(r, tag);
  }
  checkEnd(r, end);
  return values;
}
