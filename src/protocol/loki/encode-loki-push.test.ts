import { describe, expect, it } from 'vitest';
import { ProtobufWriter } from '../wire/protobuf-writer.js';
import type { LokiStream } from './loki-stream-mapper.js';
import {
  encodeLokiPushRequest,
  encodeLokiStreams,
} from './encode-loki-push.js';
import {
  LokiPushRequest,
  referenceDecodeLokiPush,
} from '../../../test/helpers/loki-reference.js';

const STREAMS: LokiStream[] = [
  {
    labels:
      '{cluster="prod-eu", env="prod", level="info", namespace="shop", region="eu-west-1", service_name="checkout"}',
    entries: [
      {
        timeUnixNano: 1700000000123456789n,
        line: 'GET /cart 200',
        structuredMetadata: [
          'k8s_pod_name',
          'checkout-7d9f-abcde',
          'trace_id',
          '5b8efff798038103d269b633813fc60c',
        ],
      },
      {
        timeUnixNano: 1700000001000000000n,
        line: 'ünïcødé ✓ 🚀',
        structuredMetadata: [],
      },
      { timeUnixNano: 999n, line: '', structuredMetadata: ['empty', ''] },
    ],
  },
  {
    labels: '{cluster="prod-eu", service_name="say \\"hi\\""}',
    entries: [
      { timeUnixNano: 0n, line: 'at the epoch', structuredMetadata: [] },
      // Bigger than a fork's reserved length prefix: the body is moved once.
      {
        timeUnixNano: 1700000002000000001n,
        line: 'x'.repeat(300_000),
        structuredMetadata: ['k', 'v'.repeat(20_000)],
      },
    ],
  },
];

function expected(streams: readonly LokiStream[]) {
  return streams.map(s => ({
    labels: s.labels,
    entries: s.entries.map(e => {
      const pairs: [string, string][] = [];
      for (let i = 0; i < e.structuredMetadata.length; i += 2)
        pairs.push([e.structuredMetadata[i]!, e.structuredMetadata[i + 1]!]);
      return {
        timeUnixNano: e.timeUnixNano,
        line: e.line,
        structuredMetadata: pairs,
      };
    }),
  }));
}

describe('encodeLokiPushRequest()', () => {
  it('writes what the reference decoder built from push.proto reads back', () => {
    expect(referenceDecodeLokiPush(encodeLokiPushRequest(STREAMS))).toEqual(
      expected(STREAMS)
    );
  });

  it('uses the upstream field numbers', () => {
    const bytes = encodeLokiPushRequest([
      {
        labels: '{a="b"}',
        entries: [
          {
            timeUnixNano: 1_500_000_000n,
            line: 'l',
            structuredMetadata: ['n', 'v'],
          },
        ],
      },
    ]);
    const request = LokiPushRequest.decode(bytes) as unknown as {
      streams: {
        labels: string;
        entries: {
          timestamp: { seconds: { toNumber(): number }; nanos: number };
          line: string;
          structuredMetadata: { name: string; value: string }[];
        }[];
      }[];
    };
    const entry = request.streams[0]!.entries[0]!;
    expect(request.streams[0]!.labels).toBe('{a="b"}');
    expect(entry.timestamp.seconds.toNumber()).toBe(1);
    expect(entry.timestamp.nanos).toBe(500_000_000);
    expect(entry.line).toBe('l');
    expect(entry.structuredMetadata.map(p => [p.name, p.value])).toEqual([
      ['n', 'v'],
    ]);
    // PushRequest.streams=1 (LEN) → StreamAdapter.labels=1 (LEN).
    expect([bytes[0], bytes[2]]).toEqual([0x0a, 0x0a]);
  });

  it('writes nothing for no streams', () => {
    expect(encodeLokiPushRequest([])).toEqual(new Uint8Array(0));
  });
});

describe('encodeLokiStreams()', () => {
  it('writes runs that concatenate into one valid request (queue fragments)', () => {
    const first = new ProtobufWriter(16);
    expect(encodeLokiStreams(STREAMS.slice(0, 1), first)).toBe(3);
    const second = new ProtobufWriter(16);
    expect(encodeLokiStreams(STREAMS.slice(1), second)).toBe(2);
    const joined = Buffer.concat([first.finish(), second.finish()]);
    expect(referenceDecodeLokiPush(joined)).toEqual(expected(STREAMS));
  });
});
