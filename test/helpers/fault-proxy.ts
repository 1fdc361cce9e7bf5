/**
 * A fault-injecting remote write downstream for the fault matrix: an HTTP
 * server on 127.0.0.1 that relays remote write 1.0 requests to a real
 * receiver (Prometheus) while healthy, and on demand produces the faults a
 * real receiver cannot be made to produce:
 * - `error-500`: answers 500 to every request (nothing is relayed);
 * - `never-answer`: takes the request and never answers (held requests are
 *   cut, not relayed, when the fault clears);
 * - `slow`: waits `slowDelayMs` before relaying each request;
 * - `closed`: stops listening, so connections are refused; listens on the
 *   same port again when the fault clears;
 * - poisoning (beside any mode): a request holding a series that
 *   `isPoison` picks is answered 400 and not relayed.
 *
 * It keeps a ledger of what the receiver accepted (2xx) and of what it
 * answered 400, per series, so a test counts deliveries (and duplicates,
 * which Prometheus deduplicates silently) exactly. Series that `isWithheld`
 * picks (huge probe inputs) are counted and cut out of the relayed body, so
 * they do not bloat the receiver.
 *
 * Nothing here imports vitest.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { snappyCompress, snappyUncompress } from '../../src/protocol/index.js';
import { LOOPBACK_HOST } from './free-port.js';
import {
  decodeV1Request,
  encodeV1Request,
  type TimeSeriesV1Object,
} from './remote-write-reference.js';

export type FaultMode =
  'relay' | 'error-500' | 'never-answer' | 'slow' | 'closed';

/** Labels of one series as a name → value record. */
export type SeriesLabels = Readonly<Record<string, string>>;

export interface FaultProxyOptions {
  /** The receiver's base URL (`…/api/v1/write` is appended). */
  readonly upstreamUrl: string;
  /** Delay of each request in `slow` mode; default 2 s. */
  readonly slowDelayMs?: number;
  /** Series cut from relayed bodies (counted in `withheldSeries`). */
  readonly isWithheld?: (labels: SeriesLabels) => boolean;
  /** With poisoning on, a request holding such a series is answered 400. */
  readonly isPoison?: (labels: SeriesLabels) => boolean;
  /** Timeout of one relay to the receiver; default 10 s. */
  readonly relayTimeoutMs?: number;
}

/** What happened to one request, as the proxy saw it. */
export type RequestOutcome = 'delivered' | 'refused-400' | 'fault';

/** Told about every series of every request the proxy answered. */
export type LedgerEntry = (
  labels: SeriesLabels,
  timestampsMs: readonly number[],
  outcome: RequestOutcome
) => void;

export interface FaultProxyStats {
  /** Requests by what the proxy answered (`relayed-<status>`, `500`, `held`, …). */
  readonly answers: ReadonlyMap<string, number>;
  /** Series withheld from the receiver. */
  readonly withheldSeries: number;
  /** Points in requests answered 400 because of poisoning. */
  readonly refusedPoints: number;
  /** Relays the receiver itself answered with a non-2xx status (an infrastructure problem). */
  readonly upstreamErrors: readonly string[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` (stays the same across `closed`). */
  readonly url: string;
  mode(): FaultMode;
  /** Switches the fault; resolves once the new mode is in force. */
  setMode(mode: FaultMode): Promise<void>;
  setPoisoning(isOn: boolean): void;
  /** Subscribes to the ledger (series of answered requests). */
  onLedger(entry: LedgerEntry): void;
  stats(): FaultProxyStats;
  stop(): Promise<void>;
}

const MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024;
const RELAYED_HEADERS = [
  'content-type',
  'content-encoding',
  'x-prometheus-remote-write-version',
  'user-agent',
] as const;

function labelsOf(series: TimeSeriesV1Object): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of series.labels ?? [])
    labels[label.name ?? ''] = label.value ?? '';
  return labels;
}

function timestampsOf(series: TimeSeriesV1Object): number[] {
  return (series.samples ?? []).map(s => s.timestamp ?? 0);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK_HOST, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Starts the proxy on a free port in `relay` mode. */
export async function startFaultProxy(
  options: FaultProxyOptions
): Promise<FaultProxy> {
  const slowDelayMs = options.slowDelayMs ?? 2_000;
  const relayTimeoutMs = options.relayTimeoutMs ?? 10_000;
  const isWithheld = options.isWithheld ?? (() => false);
  const isPoison = options.isPoison ?? (() => false);
  let mode: FaultMode = 'relay';
  let isPoisoning = false;
  const ledger: LedgerEntry[] = [];
  const answers = new Map<string, number>();
  let withheldSeries = 0;
  let refusedPoints = 0;
  const upstreamErrors: string[] = [];
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  // Relays under way: a closing listener lets them answer first, so closing
  // the port refuses new connections without cutting accepted requests.
  const relaying = new Set<Promise<void>>();

  const countAnswer = (what: string): void => {
    answers.set(what, (answers.get(what) ?? 0) + 1);
  };
  const report = (
    series: readonly TimeSeriesV1Object[],
    outcome: RequestOutcome
  ): void => {
    for (const s of series) {
      const labels = labelsOf(s);
      const timestamps = timestampsOf(s);
      for (const entry of ledger) entry(labels, timestamps, outcome);
    }
  };
  const reply = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
  };

  const relay = async (
    res: ServerResponse,
    headers: Record<string, string>,
    body: Buffer
  ): Promise<void> => {
    const request = decodeV1Request(
      snappyUncompress(body, MAX_DECOMPRESSED_BYTES)
    );
    const all = request.timeseries ?? [];
    if (isPoisoning && all.some(s => isPoison(labelsOf(s)))) {
      for (const s of all) refusedPoints += s.samples?.length ?? 0;
      report(all, 'refused-400');
      countAnswer('400');
      reply(res, 400, 'poisoned batch refused by the fault proxy');
      return;
    }
    const kept = all.filter(s => !isWithheld(labelsOf(s)));
    withheldSeries += all.length - kept.length;
    const relayed =
      kept.length === all.length
        ? body
        : snappyCompress(encodeV1Request({ ...request, timeseries: kept }));
    let upstream: Response;
    let text: string;
    try {
      upstream = await fetch(`${options.upstreamUrl}/api/v1/write`, {
        method: 'POST',
        headers,
        body: relayed,
        signal: AbortSignal.timeout(relayTimeoutMs),
      });
      text = await upstream.text();
    } catch (err) {
      upstreamErrors.push(
        `relay failed: ${err instanceof Error ? err.message : String(err)}`
      );
      countAnswer('relay-error');
      res.socket?.destroy();
      return;
    }
    if (upstream.ok) report(all, 'delivered');
    else
      upstreamErrors.push(
        `receiver answered ${upstream.status}: ${text.slice(0, 300)}`
      );
    countAnswer(`relayed-${upstream.status}`);
    reply(res, upstream.status, text);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const name of RELAYED_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const body = Buffer.concat(chunks);
      const handle = (): void => {
        const relayed = relay(res, headers, body)
          .catch((err: unknown) => {
            // Not a remote write body: a bug in the caller, answered and recorded.
            upstreamErrors.push(
              `cannot relay: ${err instanceof Error ? err.message : String(err)}`
            );
            reply(res, 500, 'cannot relay');
          })
          .finally(() => relaying.delete(relayed));
        relaying.add(relayed);
      };
      switch (mode) {
        case 'error-500':
          countAnswer('500');
          reply(res, 500, 'injected fault: internal error');
          return;
        case 'never-answer':
          countAnswer('held');
          held.add(req.socket);
          return;
        case 'slow': {
          countAnswer('delayed');
          const timer = setTimeout(() => {
            timers.delete(timer);
            handle();
          }, slowDelayMs);
          timers.add(timer);
          return;
        }
        case 'closed':
          // Accepted just before the listener closed: cut, as a dead peer.
          req.socket.destroy();
          return;
        case 'relay':
          handle();
          return;
      }
    });
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      held.delete(socket);
    });
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;

  const closeListener = async (): Promise<void> => {
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    await Promise.allSettled([...relaying]);
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    mode: () => mode,
    async setMode(next: FaultMode): Promise<void> {
      const previous = mode;
      mode = next;
      if (previous === 'never-answer' && next !== 'never-answer') {
        for (const socket of held) socket.destroy();
        held.clear();
      }
      if (next === 'closed' && previous !== 'closed') await closeListener();
      if (previous === 'closed' && next !== 'closed')
        await listen(server, port);
    },
    setPoisoning: isOn => {
      isPoisoning = isOn;
    },
    onLedger: entry => {
      ledger.push(entry);
    },
    stats: () => ({
      answers,
      withheldSeries,
      refusedPoints,
      upstreamErrors,
    }),
    async stop(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (mode !== 'closed') await closeListener();
      mode = 'closed';
    },
  };
}
