/**
 * `fleetgate demo [--listen HOST:PORT] [--duration SECONDS]`: starts the
 * gateway in this process with a generated config (12 clusters over 3
 * regions, short fleet thresholds, one SLO) and a simulated fleet sending
 * to it, prints the URLs to open and a live fleet table, and stops cleanly
 * on SIGINT/SIGTERM, the abort signal or after --duration (0: never).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FleetJson } from '../api/index.js';
import { startGateway, type RunningGateway } from '../main.js';
import { createLogger } from '../telemetry/index.js';
import { renderFleet } from './fleet-command.js';
import {
  demoClusters,
  demoConfigYaml,
  startDemoFleet,
  BURNING_CLUSTER,
  SILENT_CLUSTER,
  SKEWED_CLUSTER,
} from './demo-fleet.js';

export interface DemoCommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
}

const USAGE = `usage: fleetgate demo [--listen HOST:PORT] [--duration SECONDS]

Starts the gateway with a simulated fleet of 12 clusters (one goes silent,
one has its clock 8 minutes ahead, one burns its checkout SLO).

  --listen HOST:PORT   where the gateway listens (default 127.0.0.1:9201)
  --duration SECONDS   stop by itself after this long (default 0: until Ctrl-C)`;

const TABLE_EVERY_MS = 5000;

export async function runDemoCommand(
  args: string[],
  io: DemoCommandIo
): Promise<number> {
  let values: { listen?: string; duration?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        listen: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(
      `fleetgate demo: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`
    );
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const listen = values.listen ?? '127.0.0.1:9201';
  const durationS = values.duration === undefined ? 0 : Number(values.duration);
  if (!Number.isFinite(durationS) || durationS < 0) {
    io.stderr.write(
      `fleetgate demo: cannot use --duration ${JSON.stringify(values.duration)}: want a number of seconds (0: until Ctrl-C)\n`
    );
    return 2;
  }
  if (io.signal?.aborted === true) return 0;

  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-demo-'));
  const clusters = demoClusters();
  const configPath = join(dir, 'fleetgate-demo.yaml');
  let gateway: RunningGateway;
  try {
    await writeFile(configPath, demoConfigYaml(clusters, join(dir, 'queue')));
    gateway = await startGateway({
      configPath,
      listen,
      logger: createLogger({ level: 'warn' }),
    });
  } catch (err) {
    io.stderr.write(
      `fleetgate demo: cannot start the gateway: ${err instanceof Error ? err.message : String(err)}\n`
    );
    await rm(dir, { recursive: true, force: true });
    return 1;
  }

  const base = gateway.url.replace(/\/+$/, '');
  io.stdout.write(
    `fleetgate demo: gateway at ${base} with ${clusters.length} simulated clusters\n` +
      `  planned: ${SILENT_CLUSTER} goes silent after ~10s (stale at 20s, down at 40s), ` +
      `${SKEWED_CLUSTER} has its clock 8m ahead (degraded: clock_skew after ~1m), ` +
      `${BURNING_CLUSTER} answers many 5xx (burns checkout-availability)\n\n` +
      `open:\n` +
      `  fleet        ${base}/api/v1/fleet\n` +
      `  one cluster  ${base}/api/v1/fleet/clusters/${SKEWED_CLUSTER}\n` +
      `  SLOs         ${base}/api/v1/slos\n` +
      `  events       ${base}/api/v1/events?type=Warning\n` +
      `  cardinality  ${base}/api/v1/cardinality/metrics\n` +
      `  metrics      ${base}/metrics\n` +
      `  or run       fleetgate fleet --url ${base}\n\n` +
      (durationS > 0
        ? `stopping after ${durationS}s; Ctrl-C stops earlier\n\n`
        : `Ctrl-C stops\n\n`)
  );

  const errorsSeen = new Set<string>();
  const fleet = startDemoFleet({
    baseUrl: base,
    clusters,
    onError: (cluster, message) => {
      const key = `${cluster}: ${message}`;
      if (errorsSeen.has(key)) return;
      errorsSeen.add(key);
      io.stderr.write(`fleetgate demo: ${key}\n`);
    },
  });

  const colour =
    io.stdout.isTTY === true && (process.env['NO_COLOR'] ?? '') === '';
  const printTable = async (): Promise<void> => {
    try {
      const res = await fetch(`${base}/api/v1/fleet`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { data?: FleetJson };
      if (body.data === undefined) return;
      io.stdout.write(
        `--- ${new Date().toISOString()} ---\n${renderFleet(body.data, colour)}\n`
      );
    } catch {
      /* the next round tries again */
    }
  };
  let printing: Promise<void> = Promise.resolve();
  const tableTimer = setInterval(() => {
    printing = printing.then(printTable);
  }, TABLE_EVERY_MS);

  await new Promise<void>(resolve => {
    let durationTimer: NodeJS.Timeout | undefined;
    const done = (): void => {
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      io.signal?.removeEventListener('abort', done);
      if (durationTimer !== undefined) clearTimeout(durationTimer);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    io.signal?.addEventListener('abort', done, { once: true });
    if (durationS > 0) durationTimer = setTimeout(done, durationS * 1000);
  });

  io.stdout.write('fleetgate demo: stopping\n');
  clearInterval(tableTimer);
  await fleet.stop();
  await printing;
  let code = 0;
  try {
    await gateway.close();
  } catch (err) {
    io.stderr.write(
      `fleetgate demo: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`
    );
    code = 1;
  }
  await rm(dir, { recursive: true, force: true });
  io.stdout.write('fleetgate demo: stopped\n');
  return code;
}
