/**
 * Private Redis servers for integration tests: one `redis-server` on a free
 * loopback port with a temporary dir and no persistence, or a three-node
 * Redis Cluster of them, each stopped by its PID. Nothing here touches the
 * machine's Redis on 6379 (tests that use it delete their own prefixed keys
 * with `deleteKeysMatching`).
 *
 * Nothing here imports vitest.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, type Redis } from 'ioredis';
import { LOOPBACK_HOST, getFreePort } from './free-port.js';

const execFileAsync = promisify(execFile);

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 50;
const OUTPUT_CAP_CHARS = 64 * 1024;
const CLUSTER_NODE_TIMEOUT_MS = 2_000;

/** A redis-server we started. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Its working dir (removed on stop). */
  readonly dir: string;
  /** Captured output, for an assertion message. */
  output(): string;
  /** Whether the process is still running. */
  isRunning(): boolean;
  /**
   * Sends `signal` (default SIGTERM, then SIGKILL after 5 s) and waits for
   * the exit; removes `dir` unless `keepDir`. Idempotent.
   */
  stop(signal?: NodeJS.Signals, keepDir?: boolean): Promise<void>;
}

export interface StartRedisServerOptions {
  /** Default: a free port. Give one to restart a stopped server in place. */
  readonly port?: number;
  /** Extra `redis-server` arguments (e.g. cluster mode). */
  readonly args?: readonly string[];
  /** Working dir; default a new temporary one. */
  readonly dir?: string;
}

// Servers still running; SIGKILLed if the test process exits without
// stopping them, so no redis-server outlives a crashed run.
const liveChildren = new Set<ChildProcess>();
let isExitHookInstalled = false;

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) {
      if (
        child.pid !== undefined &&
        child.exitCode === null &&
        child.signalCode === null
      ) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Runs `redis-cli` against one port; resolves to its stdout. */
export async function redisCli(
  port: number,
  args: readonly string[]
): Promise<string> {
  const { stdout } = await execFileAsync(
    'redis-cli',
    ['-h', LOOPBACK_HOST, '-p', String(port), ...args],
    { timeout: READY_TIMEOUT_MS }
  );
  return stdout;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Starts `redis-server` on loopback and waits until it answers PING. */
export async function startRedisServer(
  options: StartRedisServerOptions = {}
): Promise<RedisServer> {
  installExitHook();
  const port = options.port ?? (await getFreePort());
  const dir =
    options.dir ?? (await mkdtemp(join(tmpdir(), 'fleetgate-redis-')));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      LOOPBACK_HOST,
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  liveChildren.add(child);
  let output = '';
  const capture = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_CAP_CHARS);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.once('exit', () => liveChildren.delete(child));
  const pid = child.pid;
  const isRunning = (): boolean =>
    child.exitCode === null && child.signalCode === null;

  let isStopped = false;
  const server: RedisServer = {
    port,
    pid: pid ?? -1,
    url: `redis://${LOOPBACK_HOST}:${port}`,
    address: `${LOOPBACK_HOST}:${port}`,
    dir,
    output: () => output,
    isRunning,
    async stop(
      signal: NodeJS.Signals = 'SIGTERM',
      keepDir = false
    ): Promise<void> {
      if (!isStopped && isRunning() && pid !== undefined) {
        process.kill(pid, signal);
        if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
          process.kill(pid, 'SIGKILL');
          await waitForExit(child, STOP_TIMEOUT_MS);
        }
      }
      if (!keepDir) {
        isStopped = true;
        await rm(dir, { recursive: true, force: true });
      }
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!isRunning()) {
      await server.stop();
      throw new Error(
        `cannot start redis-server on port ${port}: it exited\n${output}`
      );
    }
    try {
      if ((await redisCli(port, ['ping'])).trim() === 'PONG') return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(
        `cannot start redis-server on port ${port}: no PONG within ${READY_TIMEOUT_MS} ms\n${output}`
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** A Redis Cluster of private servers (masters only). */
export interface RedisClusterServers {
  readonly nodes: readonly RedisServer[];
  /** `127.0.0.1:<port>` of every node, for a cluster client's seeds. */
  readonly seeds: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts `size` cluster-enabled servers, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0`, and waits until every
 * node reports `cluster_state:ok`.
 */
export async function startRedisCluster(
  size = 3
): Promise<RedisClusterServers> {
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map(node => node.stop()));
  };
  try {
    for (let i = 0; i < size; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'fleetgate-redis-cluster-'));
      nodes.push(
        await startRedisServer({
          dir,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            String(CLUSTER_NODE_TIMEOUT_MS),
          ],
        })
      );
    }
    const seeds = nodes.map(node => node.address);
    await execFileAsync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...seeds,
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 }
    );
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      while (
        !(await redisCli(node.port, ['cluster', 'info'])).includes(
          'cluster_state:ok'
        )
      ) {
        if (Date.now() > deadline) {
          throw new Error(
            `cannot form a redis cluster: node ${node.address} never reached cluster_state:ok`
          );
        }
        await sleep(POLL_INTERVAL_MS * 2);
      }
    }
    return { nodes, seeds, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Deletes every key matching `pattern` (SCAN MATCH + UNLINK), on a
 * standalone server or on every master of a cluster. Returns how many.
 */
export async function deleteKeysMatching(
  client: Redis | Cluster,
  pattern: string
): Promise<number> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  let deleted = 0;
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        1000
      );
      cursor = next;
      // One key per UNLINK: keys of a cluster node may span slots.
      for (const key of keys) deleted += await server.unlink(key);
    } while (cursor !== '0');
  }
  return deleted;
}
