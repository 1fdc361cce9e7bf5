/**
 * The built gateway as a child process, the way operators run it:
 * `node dist/cli/fleetgate.js serve --config <file>`. The config's
 * `server.listen` is replaced by 127.0.0.1 and a free port, and
 * `forward.queue_dir` defaults to the process's temporary dir, so parallel
 * runs never share a port or a queue.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LOOPBACK_HOST, getFreePort } from './free-port.js';
import { makeTempDir, startProcess, type ManagedProcess } from './peers.js';

/** The repository root, found from this file (test/helpers/ or dist/test/helpers/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const REPO_ROOT = findRepoRoot();

/** package.json's `bin.fleetgate`, if readable. */
function packageBin(): string | undefined {
  try {
    const pkg = JSON.parse(
      readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')
    ) as { bin?: Record<string, string> };
    return pkg.bin?.['fleetgate'];
  } catch {
    return undefined;
  }
}

/**
 * The gateway's entry point: FLEETGATE_BIN, else package.json's
 * `bin.fleetgate`, else `dist/cli/fleetgate.js` or
 * `dist/src/cli/fleetgate.js` (where `tsc` with `rootDir: "."` emits).
 */
export function resolveGatewayEntry(): string {
  const fromEnv = process.env['FLEETGATE_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const candidates = [
    join(REPO_ROOT, 'dist/cli/fleetgate.js'),
    join(REPO_ROOT, 'dist/src/cli/fleetgate.js'),
  ];
  const fromBin = packageBin();
  if (fromBin !== undefined) candidates.unshift(join(REPO_ROOT, fromBin));
  for (const file of candidates) if (existsSync(file)) return file;
  throw new Error(
    `cannot find the built gateway (looked for ${candidates.join(', ')}): run \`npm run build\` first`
  );
}

export interface GatewayProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The config file as written (after port and queue_dir substitution). */
  readonly configFile: string;
  /** Captured stdout (JSON log lines) and stderr. */
  logs(): string;
  /** Parsed JSON log lines from stdout; non-JSON lines are skipped. */
  logRecords(): Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after `timeoutMs`; removes the temp dir. */
  stop(timeoutMs?: number): Promise<void>;
  readonly process: ManagedProcess;
}

export interface StartGatewayOptions {
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Extra node flags, e.g. `--max-old-space-size=2048`. */
  nodeArgs?: readonly string[];
}

/**
 * Starts the gateway on a free loopback port with `configYaml`, waiting
 * until `GET /-/ready` answers 200.
 */
export async function startGateway(
  configYaml: string,
  options: StartGatewayOptions = {}
): Promise<GatewayProcess> {
  const entry = resolveGatewayEntry();
  const dataDir = await makeTempDir('gateway');
  const port = await getFreePort();
  const parsed: unknown = parseYaml(configYaml);
  const config: Record<string, unknown> =
    parsed !== null && typeof parsed === 'object'
      ? (parsed as Record<string, unknown>)
      : {};
  const server = asRecord(config['server']);
  server['listen'] = `${LOOPBACK_HOST}:${port}`;
  config['server'] = server;
  const forward = asRecord(config['forward']);
  if (forward['queue_dir'] === undefined) {
    forward['queue_dir'] = join(dataDir, 'queue');
    config['forward'] = forward;
  }
  const configFile = join(dataDir, 'fleetgate.yml');
  await writeFile(configFile, stringifyYaml(config));

  const managed = await startProcess({
    name: 'fleetgate',
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), entry, 'serve', '--config', configFile],
    port,
    dataDir,
    cwd: dataDir,
    env: { ...process.env, ...options.env },
    readyUrl: `http://${LOOPBACK_HOST}:${port}/-/ready`,
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
  });
  return {
    url: managed.url,
    port,
    get pid() {
      return managed.pid;
    },
    configFile,
    logs: () => managed.diagnostics(),
    logRecords: () => parseJsonLines(managed.stdout()),
    stop: timeoutMs => managed.stop(timeoutMs),
    process: managed,
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>) }
    : {};
}

function parseJsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object')
        out.push(value as Record<string, unknown>);
    } catch {
      // a line cut by the output cap, or not JSON
    }
  }
  return out;
}
