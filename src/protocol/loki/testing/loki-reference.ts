/**
 * Test-only reference decoder for Loki pushes: protobufjs loaded from
 * test/fixtures/proto/loki/push.proto (the upstream field numbers), entirely
 * independent of the gateway's encoder, for differential tests and for the
 * Loki test server.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../test/fixtures/proto/loki/push.proto'
);

const root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });
root.resolveAll();

export const LokiPushRequest = root.lookupType('logproto.PushRequest');

/** One decoded entry: the timestamp as ns, metadata as [name, value] pairs. */
export interface ReferenceLokiEntry {
  readonly timeUnixNano: bigint;
  readonly line: string;
  readonly structuredMetadata: [string, string][];
}

export interface ReferenceLokiStream {
  readonly labels: string;
  readonly entries: ReferenceLokiEntry[];
}

type Obj = Record<string, unknown>;

/** Uncompressed PushRequest bytes → streams, through protobufjs. */
export function referenceDecodeLokiPush(
  bytes: Uint8Array
): ReferenceLokiStream[] {
  const obj = LokiPushRequest.toObject(LokiPushRequest.decode(bytes), {
    longs: String,
    defaults: true,
  });
  return (obj['streams'] as Obj[]).map(stream => ({
    labels: stream['labels'] as string,
    entries: (stream['entries'] as Obj[]).map(entry => {
      const ts = (entry['timestamp'] as Obj | null) ?? {
        seconds: '0',
        nanos: 0,
      };
      return {
        timeUnixNano:
          BigInt(ts['seconds'] as string) * 1_000_000_000n +
          BigInt(ts['nanos'] as number),
        line: entry['line'] as string,
        structuredMetadata: (entry['structuredMetadata'] as Obj[]).map(
          pair =>
            [pair['name'] as string, pair['value'] as string] as [
              string,
              string,
            ]
        ),
      };
    }),
  }));
}

/**
 * Parses Loki's push label syntax `{a="x", b="y"}` the way Loki's LogQL
 * parser reads it (Go string literals), for assertions.
 */
export function parseLokiLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")\s*(,|$)/gy;
  const inner = text.slice(1, -1);
  if (text[0] !== '{' || text[text.length - 1] !== '}')
    throw new Error(`not a label set: ${text}`);
  let match: RegExpExecArray | null;
  while (re.lastIndex < inner.length && (match = re.exec(inner)) !== null) {
    out[match[1]!] = JSON.parse(match[2]!) as string;
  }
  if (re.lastIndex !== inner.length && inner.trim() !== '')
    throw new Error(`cannot parse label set: ${text}`);
  return out;
}
