/**
 * A real remote write 1.0 receiver for forwarding tests: a node:http server
 * on 127.0.0.1, port 0, that decodes every request (snappy, then
 * WriteRequest with our ProtobufReader) and answers as scripted. Test-only;
 * it keeps everything it receives.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProtobufReader,
  snappyUncompress,
  WireType,
} from '../../src/protocol/index.js';

export interface SinkSample {
  readonly value: number;
  readonly timestampMs: number;
}

export interface SinkSeries {
  /** Flat `[name, value, …]`, as received. */
  readonly labels: string[];
  readonly samples: SinkSample[];
  histograms: number;
  exemplars: number;
}

export interface SinkMetadata {
  type: number;
  familyName: string;
  help: string;
  unit: string;
}

export interface SinkRequest {
  readonly headers: IncomingHttpHeaders;
  readonly series: SinkSeries[];
  readonly metadata: SinkMetadata[];
  /** The status the sink answered (0 when it cut the connection or never answered). */
  status: number;
}

/** How to answer one request: a status (with headers and body), cut the socket, or never answer. */
export type SinkReply =
  | {
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly body?: string;
    }
  | 'destroy'
  | 'hang';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class RemoteWriteSink {
  readonly requests: SinkRequest[] = [];
  url = '';
  port = 0;
  private readonly _server: Server;
  private readonly _replies: SinkReply[] = [];
  private readonly _hanging: ServerResponse[] = [];
  private _defaultReply: SinkReply = { status: 204 };

  private constructor() {
    this._server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: SinkRequest = {
          headers: req.headers,
          ...decodeWriteRequest(
            snappyUncompress(Buffer.concat(chunks), MAX_BODY_BYTES)
          ),
          status: 0,
        };
        this.requests.push(request);
        const reply = this._replies.shift() ?? this._defaultReply;
        if (reply === 'destroy') {
          req.socket.destroy();
          return;
        }
        if (reply === 'hang') {
          this._hanging.push(res);
          return;
        }
        request.status = reply.status;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
  }

  /** Starts a sink on 127.0.0.1 (port 0 unless a port is given: a restart on the same port). */
  static async start(port = 0): Promise<RemoteWriteSink> {
    const sink = new RemoteWriteSink();
    await new Promise<void>((resolve, reject) => {
      sink._server.once('error', reject);
      sink._server.listen(port, '127.0.0.1', () => resolve());
    });
    sink.port = (sink._server.address() as AddressInfo).port;
    sink.url = `http://127.0.0.1:${sink.port}/api/v1/write`;
    return sink;
  }

  /** Answers for the next requests, in order; after them every request gets 204. */
  reply(...replies: SinkReply[]): void {
    this._replies.push(...replies);
  }

  /** The answer once the scripted replies are used up (204 unless set): an outage is `{ status: 500 }`. */
  replyByDefault(reply: SinkReply): void {
    this._defaultReply = reply;
  }

  /** Requests answered with a 2xx. */
  accepted(): SinkRequest[] {
    return this.requests.filter(r => r.status >= 200 && r.status <= 299);
  }

  /** Samples of accepted requests per series (key: `name=value,…`), in arrival order. */
  acceptedSamples(): Map<string, SinkSample[]> {
    const bySeries = new Map<string, SinkSample[]>();
    for (const request of this.accepted()) {
      for (const series of request.series) {
        const key = seriesKey(series.labels);
        let samples = bySeries.get(key);
        if (samples === undefined) bySeries.set(key, (samples = []));
        samples.push(...series.samples);
      }
    }
    return bySeries;
  }

  /** Float samples in accepted requests. */
  acceptedSampleCount(): number {
    let count = 0;
    for (const request of this.accepted())
      for (const series of request.series) count += series.samples.length;
    return count;
  }

  /** Polls `isDone` every few ms until true, or rejects after `timeoutMs`. */
  async waitFor(isDone: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!isDone()) {
      if (Date.now() > deadline)
        throw new Error(`sink: condition not met within ${timeoutMs} ms`);
      await new Promise(resolve => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const res of this._hanging) res.destroy();
    this._server.closeAllConnections();
    await new Promise<void>(resolve => this._server.close(() => resolve()));
  }
}

/** `name=value,…` of a flat label array. */
export function seriesKey(labels: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2)
    parts.push(`${labels[i]!}=${labels[i + 1]!}`);
  return parts.join(',');
}

/**
 * WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 * TimeSeries { labels = 1; samples = 2; exemplars = 3; histograms = 4; }
 * Label { name = 1; value = 2; }   Sample { double value = 1; int64 timestamp = 2; }
 * MetricMetadata { type = 1; metric_family_name = 2; help = 4; unit = 5; }
 */
export function decodeWriteRequest(body: Uint8Array): {
  series: SinkSeries[];
  metadata: SinkMetadata[];
} {
  const reader = new ProtobufReader(body);
  const series: SinkSeries[] = [];
  const metadata: SinkMetadata[] = [];
  while (reader.pos < body.length) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WireType.LENGTH_DELIMITED)
      series.push(readSeries(reader, reader.delimitedEnd()));
    else if (field === 3 && (tag & 7) === WireType.LENGTH_DELIMITED)
      metadata.push(readMetadata(reader, reader.delimitedEnd()));
    else reader.skip(tag & 7);
  }
  return { series, metadata };
}

function readSeries(reader: ProtobufReader, end: number): SinkSeries {
  const series: SinkSeries = {
    labels: [],
    samples: [],
    histograms: 0,
    exemplars: 0,
  };
  while (reader.pos < end) {
    const tag = reader.tag();
    const field = tag >>> 3;
    if (field === 1) {
      const labelEnd = reader.delimitedEnd();
      let name = '';
      let value = '';
      while (reader.pos < labelEnd) {
        const labelTag = reader.tag();
        if (labelTag >>> 3 === 1) name = reader.string();
        else if (labelTag >>> 3 === 2) value = reader.string();
        else reader.skip(labelTag & 7);
      }
      series.labels.push(name, value);
    } else if (field === 2) {
      const sampleEnd = reader.delimitedEnd();
      let value = 0;
      let timestampMs = 0;
      while (reader.pos < sampleEnd) {
        const sampleTag = reader.tag();
        if (sampleTag >>> 3 === 1) value = reader.double();
        else if (sampleTag >>> 3 === 2) timestampMs = reader.int64();
        else reader.skip(sampleTag & 7);
      }
      series.samples.push({ value, timestampMs });
    } else {
      if (field === 3) series.exemplars++;
      if (field === 4) series.histograms++;
      reader.skip(tag & 7);
    }
  }
  return series;
}

function readMetadata(reader: ProtobufReader, end: number): SinkMetadata {
  const metadata: SinkMetadata = {
    type: 0,
    familyName: '',
    help: '',
    unit: '',
  };
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        metadata.type = reader.uint32();
        break;
      case 2:
        metadata.familyName = reader.string();
        break;
      case 4:
        metadata.help = reader.string();
        break;
      case 5:
        metadata.unit = reader.string();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return metadata;
}
