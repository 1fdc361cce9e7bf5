/**
 * The bench's downstream: a remote write receiver that answers 204 and
 * counts requests, bytes and samples, so the bench can check that every
 * accepted sample reached it (no system wins by dropping). One request in
 * LABEL_CHECK_EVERY also has its label names checked, to confirm the
 * normalization really happened (canonical labels present, alias gone).
 *
 * Runs as its own child process (`node dist/bench/sink.js`) so its CPU is not
 * counted as the system under test's. Talks to the parent over IPC:
 * sends `{type:'listening', port}`; serves `GET /stats` and `POST /reset`.
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import {
  ProtobufReader,
  snappyUncompress,
} from '../src/protocol/wire/index.js';
import { CLUSTER_ALIAS_LABEL } from './k8s-corpus.js';

const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;
const LABEL_CHECK_EVERY = 10;
const WIRE_LENGTH_DELIMITED = 2;

/** What the sink has seen since start or the last reset. */
export interface SinkStats {
  requests: number;
  /** Compressed body bytes. */
  bytes: number;
  samples: number;
  histograms: number;
  rejected: number;
  lastError: string;
  /** Series whose label names were checked. */
  checkedSeries: number;
  /** …of which carry `cluster`, `region`, `env` and `team`. */
  canonicalSeries: number;
  /** …of which still carry the alias label. */
  aliasSeries: number;
  userAgents: Record<string, number>;
  firstRequestAtMs: number;
  lastRequestAtMs: number;
}

function emptyStats(): SinkStats {
  return {
    requests: 0,
    bytes: 0,
    samples: 0,
    histograms: 0,
    rejected: 0,
    lastError: '',
    checkedSeries: 0,
    canonicalSeries: 0,
    aliasSeries: 0,
    userAgents: {},
    firstRequestAtMs: 0,
    lastRequestAtMs: 0,
  };
}

let stats = emptyStats();

const CANONICAL = ['cluster', 'region', 'env', 'team'];

/** Counts samples (and checks labels when `checkLabels`) in a v1 or v2 request. */
function countRequest(
  body: Uint8Array,
  isV2: boolean,
  checkLabels: boolean
): void {
  const r = new ProtobufReader(body);
  // v1: WriteRequest.timeseries = 1 (samples = 2, histograms = 4, labels = 1)
  // v2: Request.timeseries = 5 (samples = 2, histograms = 3; labels are refs into symbols = 4)
  const seriesField = isV2 ? 5 : 1;
  const histogramField = isV2 ? 3 : 4;
  const found = new Set<string>();
  while (r.pos < body.length) {
    const tag = r.tag();
    if (tag >>> 3 !== seriesField || (tag & 7) !== WIRE_LENGTH_DELIMITED) {
      r.skip(tag & 7);
      continue;
    }
    const end = r.delimitedEnd();
    found.clear();
    while (r.pos < end) {
      const t = r.tag();
      const field = t >>> 3;
      if (field === 2 && (t & 7) === WIRE_LENGTH_DELIMITED) {
        stats.samples++;
        r.pos = r.delimitedEnd();
      } else if (
        field === histogramField &&
        (t & 7) === WIRE_LENGTH_DELIMITED
      ) {
        stats.histograms++;
        r.pos = r.delimitedEnd();
      } else if (
        !isV2 &&
        checkLabels &&
        field === 1 &&
        (t & 7) === WIRE_LENGTH_DELIMITED
      ) {
        const labelEnd = r.delimitedEnd();
        while (r.pos < labelEnd) {
          const lt = r.tag();
          if (lt >>> 3 === 1) found.add(r.string());
          else r.skip(lt & 7);
        }
      } else {
        r.skip(t & 7);
      }
    }
    if (checkLabels && !isV2) {
      stats.checkedSeries++;
      if (CANONICAL.every(n => found.has(n))) stats.canonicalSeries++;
      if (found.has(CLUSTER_ALIAS_LABEL)) stats.aliasSeries++;
    }
  }
}

function handleWrite(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    chunks.push(c);
    size += c.length;
  });
  req.on('end', () => {
    const now = Date.now();
    if (stats.firstRequestAtMs === 0) stats.firstRequestAtMs = now;
    stats.lastRequestAtMs = now;
    stats.requests++;
    stats.bytes += size;
    const ua = (req.headers['user-agent'] ?? 'none').split(' ')[0] ?? 'none';
    stats.userAgents[ua] = (stats.userAgents[ua] ?? 0) + 1;
    try {
      const encoding = req.headers['content-encoding'] ?? '';
      if (encoding !== 'snappy')
        throw new Error(
          `unsupported content-encoding ${JSON.stringify(encoding)}`
        );
      const body = snappyUncompress(
        Buffer.concat(chunks, size),
        MAX_DECOMPRESSED_BYTES
      );
      const isV2 = (req.headers['content-type'] ?? '').includes(
        'io.prometheus.write.v2.Request'
      );
      countRequest(body, isV2, stats.requests % LABEL_CHECK_EVERY === 0);
      res.writeHead(204).end();
    } catch (err) {
      stats.rejected++;
      stats.lastError = err instanceof Error ? err.message : String(err);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(stats.lastError);
    }
  });
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url !== '/reset') {
    handleWrite(req, res);
  } else if (req.method === 'GET' && req.url === '/stats') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(stats));
  } else if (req.method === 'POST' && req.url === '/reset') {
    stats = emptyStats();
    res.writeHead(204).end();
  } else {
    res.writeHead(404).end();
  }
});
server.keepAliveTimeout = 60_000;

function shutdown(): void {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port =
    address !== null && typeof address === 'object' ? address.port : 0;
  if (process.send !== undefined) process.send({ type: 'listening', port });
  else console.log(JSON.stringify({ type: 'listening', port }));
});
