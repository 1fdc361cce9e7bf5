/**
 * `fleetgate fleet [--url URL] [--json] [--timeout DURATION]`: asks a
 * running gateway for GET /api/v1/fleet and prints the fleet, worst first.
 *
 * - A table (cluster, state, region, env, last seen, samples/s, skew,
 *   reasons) followed by the reasons' messages; ANSI colours only when
 *   stdout is a terminal and NO_COLOR is not set (no-color.org).
 * - `--json`: the API's `data` object, for scripts.
 * - Exit code: 0 when no registered cluster is down or degraded, 1 when
 *   one is (so it fits in scripts and CI), 2 when the gateway cannot be
 *   asked (connection refused, timeout, an answer that is not the fleet
 *   API) or the arguments are wrong.
 *
 * "Last seen" is measured against the gateway's `evaluated_at`, not this
 * machine's clock: a CLI on a skewed laptop still reads right.
 */
import { parseArgs } from 'node:util';
import type { FleetClusterJson, FleetJson } from '../api/index.js';
import { parseDuration } from '../config/index.js';

export const DEFAULT_FLEET_URL = 'http://127.0.0.1:9201';
export const DEFAULT_FLEET_TIMEOUT_MS = 10_000;

/** Where the command writes, and how it reaches the network (tests inject). */
export interface FleetCommandIo {
  readonly stdout: {
    write(text: string): unknown;
    readonly isTTY?: boolean | undefined;
  };
  readonly stderr: { write(text: string): unknown };
  /** Environment for NO_COLOR / FORCE_COLOR (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Default globalThis.fetch. */
  readonly fetch?: typeof fetch | undefined;
}

const USAGE = `usage: fleetgate fleet [--url URL] [--json] [--timeout DURATION]

Prints the fleet health of a running gateway, worst clusters first.

  --url URL            the gateway (default ${DEFAULT_FLEET_URL})
  --json               print the API's JSON instead of a table
  --timeout DURATION   give up after this long (default 10s)

Exit code: 0 all clusters fine, 1 a cluster is down or degraded, 2 the gateway cannot be asked.`;

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;

const STATE_COLOUR: Readonly<Record<string, string>> = {
  healthy: ANSI.green,
  degraded: ANSI.yellow,
  stale: ANSI.magenta,
  down: ANSI.red,
  unknown: ANSI.dim,
  unregistered: ANSI.cyan,
};

/** Runs the command; resolves to the exit code (never rejects on network errors). */
export async function runFleetCommand(
  args: readonly string[],
  io: FleetCommandIo
): Promise<number> {
  let values: {
    url?: string;
    json?: boolean;
    timeout?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        url: { type: 'string' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(
      `fleetgate fleet: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`
    );
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const base = (values.url ?? DEFAULT_FLEET_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) {
    io.stderr.write(
      `fleetgate fleet: cannot use --url ${JSON.stringify(base)}: want http://host:port or https://host:port\n`
    );
    return 2;
  }
  let timeoutMs = DEFAULT_FLEET_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    const parsed = parseDuration(values.timeout);
    if (parsed === undefined || parsed === 0) {
      io.stderr.write(
        `fleetgate fleet: cannot parse --timeout ${JSON.stringify(values.timeout)}: want a duration such as 5s or 1m\n`
      );
      return 2;
    }
    timeoutMs = parsed;
  }

  const fleet = await askFleet(`${base}/api/v1/fleet`, timeoutMs, io);
  if (typeof fleet === 'string') {
    io.stderr.write(`fleetgate fleet: ${fleet}\n`);
    return 2;
  }
  if (values.json === true)
    io.stdout.write(`${JSON.stringify(fleet, null, 2)}\n`);
  else io.stdout.write(renderFleet(fleet, useColour(io)));
  return fleet.clusters.some(c => c.state === 'down' || c.state === 'degraded')
    ? 1
    : 0;
}

/** The fleet, or a message saying why it could not be had. */
async function askFleet(
  url: string,
  timeoutMs: number,
  io: FleetCommandIo
): Promise<FleetJson | string> {
  const doFetch = io.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return `cannot reach fleetgate at ${url}: ${describeNetworkError(err, timeoutMs)}; is "fleetgate serve" running there? (--url picks another gateway)`;
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    return `cannot read the answer of ${url}: ${describeNetworkError(err, timeoutMs)}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `cannot read the answer of ${url}: HTTP ${response.status}, not JSON (${JSON.stringify(text.slice(0, 120))}); is this a fleetgate?`;
  }
  if (!response.ok) {
    const error = (body as { error?: unknown } | null)?.error;
    return `fleetgate at ${url} answered HTTP ${response.status}${typeof error === 'string' ? `: ${error}` : ''}`;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!isFleetJson(data))
    return `cannot read the answer of ${url}: not the fleet API's shape (want data.clusters and data.summary); is this a fleetgate?`;
  return data;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (
    err instanceof Error &&
    (err.name === 'TimeoutError' || err.name === 'AbortError')
  )
    return `no answer within ${timeoutMs / 1000}s`;
  const cause =
    err instanceof Error
      ? (err.cause as { code?: unknown; message?: unknown } | undefined)
      : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
      return 'host not found (ENOTFOUND)';
    case 'ECONNRESET':
      return 'connection reset (ECONNRESET)';
    default:
      if (typeof cause?.message === 'string') return cause.message;
      return err instanceof Error ? err.message : String(err);
  }
}

function isFleetJson(data: unknown): data is FleetJson {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Partial<Record<keyof FleetJson, unknown>>;
  return (
    Array.isArray(d.clusters) &&
    typeof d.summary === 'object' &&
    d.summary !== null &&
    typeof d.evaluated_at === 'string'
  );
}

function useColour(io: FleetCommandIo): boolean {
  const env = io.env ?? process.env;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (
    env['FORCE_COLOR'] !== undefined &&
    env['FORCE_COLOR'] !== '' &&
    env['FORCE_COLOR'] !== '0'
  )
    return true;
  return io.stdout.isTTY === true;
}

const COLUMNS = [
  'CLUSTER',
  'STATE',
  'REGION',
  'ENV',
  'LAST SEEN',
  'SAMPLES/S',
  'SKEW',
  'REASONS',
] as const;

/** The table, the reasons' messages and a summary line. */
export function renderFleet(fleet: FleetJson, isColour: boolean): string {
  const paint = (colour: string, text: string): string =>
    isColour ? `${colour}${text}${ANSI.reset}` : text;
  const evaluatedAtMs = Date.parse(fleet.evaluated_at);
  // The gateway answering may be older than this CLI: isFleetJson checks
  // only the fields every version has, so the newer ones may be missing.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  const all = [...fleet.clusters, ...(fleet.unregistered ?? [])];
  const rows = all.map(c => [
    c.cluster,
    c.state,
    c.region,
    c.env,
    lastSeenAgo(c, evaluatedAtMs),
    formatRate(c.samples_per_second),
    formatSkew(c.clock_skew_seconds),
    c.reasons.map(r => r.code).join(',') || '-',
  ]);
  const widths = COLUMNS.map((title, i) =>
    Math.max(title.length, ...rows.map(row => row[i]!.length))
  );
  // Pad the plain text first, then colour it: escape codes have no width.
  const line = (
    cells: readonly string[],
    colourOf: (i: number) => string | undefined
  ): string =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
        const colour = colourOf(i);
        return colour === undefined ? padded : paint(colour, padded);
      })
      .join('  ')
      .trimEnd();
  let out = `${line(COLUMNS, () => ANSI.bold)}\n`;
  for (const row of rows)
    out += `${line(row, i => (i === 1 ? STATE_COLOUR[row[1]!] : undefined))}\n`;
  if (rows.length === 0) out += '(no clusters registered or seen)\n';

  const explained = all.filter(c => c.reasons.length > 0);
  if (explained.length > 0) {
    out += '\n';
    for (const c of explained)
      for (const r of c.reasons)
        out += `${paint(STATE_COLOUR[c.state] ?? '', c.cluster)}: ${r.code}: ${r.message}\n`;
  }

  const counts = fleet.summary.by_state;
  const parts = (
    ['healthy', 'degraded', 'stale', 'down', 'unknown', 'unregistered'] as const
  )
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see `all`
    .filter(state => (counts[state] ?? 0) > 0)
    .map(state => `${counts[state]} ${state}`);
  out += `\n${fleet.summary.total} cluster${fleet.summary.total === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}\n`;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see `all`
  for (const slo of fleet.slos ?? []) {
    const firing = Object.entries(slo.alerts)
      .filter(([, isFiring]) => isFiring)
      .map(([severity]) => severity);
    out += `SLO ${slo.name} (${round(slo.objective * 100, 3)}%): ${round(slo.error_budget_remaining * 100, 1)}% of the error budget left${firing.length > 0 ? `, ${paint(ANSI.red, `firing: ${firing.join(', ')}`)}` : ''}\n`;
  }
  return out;
}

function lastSeenAgo(c: FleetClusterJson, evaluatedAtMs: number): string {
  let newest: number | undefined;
  for (const at of Object.values(c.last_seen)) {
    if (at === null) continue;
    const ms = Date.parse(at);
    if (!Number.isNaN(ms) && (newest === undefined || ms > newest)) newest = ms;
  }
  if (newest === undefined) return 'never';
  return `${formatSeconds(Math.max(0, Math.round((evaluatedAtMs - newest) / 1000)))} ago`;
}

function formatSkew(skewSeconds: number | null): string {
  if (skewSeconds === null) return '-';
  const rounded = Math.round(skewSeconds);
  if (rounded === 0) return '0s';
  return `${rounded > 0 ? '+' : '-'}${formatSeconds(Math.abs(rounded))}`;
}

/** "42s", "8m12s", "3h5m", "2d4h". */
function formatSeconds(total: number): string {
  if (total < 60) return `${total}s`;
  if (total < 3600) {
    const s = total % 60;
    return `${Math.floor(total / 60)}m${s === 0 ? '' : `${s}s`}`;
  }
  if (total < 86_400) {
    const m = Math.floor((total % 3600) / 60);
    return `${Math.floor(total / 3600)}h${m === 0 ? '' : `${m}m`}`;
  }
  const h = Math.floor((total % 86_400) / 3600);
  return `${Math.floor(total / 86_400)}d${h === 0 ? '' : `${h}h`}`;
}

function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond >= 100) return String(Math.round(perSecond));
  return String(round(perSecond, 1));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
