/**
 * `fleetgate demo` as an operator runs it: the built command starts the
 * gateway with its simulated fleet, and within about a minute the planned
 * anomalies show in GET /api/v1/fleet (the silent cluster stale or down,
 * the skewed one degraded with clock_skew, the others healthy; the
 * 5xx cluster may be degraded by slo_fast_burn). SIGINT stops it with 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePort, LOOPBACK_HOST } from '../helpers/free-port.js';
import { resolveGatewayEntry } from '../helpers/gateway-process.js';

const SILENT = 'staging-us-1';
const SKEWED = 'dev-ap-1';
const BURNING = 'prod-eu-2';
const STATES_WITHIN_MS = 80_000;

interface ClusterJson {
  cluster: string;
  state: string;
  reasons: { code: string }[];
}

let child: ChildProcess | undefined;

afterAll(() => {
  if (
    child !== undefined &&
    child.exitCode === null &&
    child.signalCode === null
  )
    child.kill('SIGKILL');
});

function expectedNow(clusters: readonly ClusterJson[]): boolean {
  if (clusters.length !== 12) return false;
  return clusters.every(c => {
    if (c.cluster === SILENT) return c.state === 'stale' || c.state === 'down';
    if (c.cluster === SKEWED)
      return (
        c.state === 'degraded' && c.reasons.some(r => r.code === 'clock_skew')
      );
    if (c.cluster === BURNING)
      return (
        c.state === 'healthy' ||
        (c.state === 'degraded' &&
          c.reasons.every(r => r.code === 'slo_fast_burn'))
      );
    return c.state === 'healthy';
  });
}

describe('fleetgate demo', () => {
  it('shows the planned anomalies in the fleet API and stops on SIGINT with 0', async () => {
    const port = await getFreePort();
    const base = `http://${LOOPBACK_HOST}:${port}`;
    const proc = spawn(
      process.execPath,
      [
        resolveGatewayEntry(),
        'demo',
        '--listen',
        `${LOOPBACK_HOST}:${port}`,
        '--duration',
        '90',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      }
    );
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stdout += chunk));
    proc.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>(resolve =>
      proc.once('exit', code => resolve(code))
    );

    const started = Date.now();
    let last: ClusterJson[] = [];
    let reached = false;
    while (Date.now() - started < STATES_WITHIN_MS && proc.exitCode === null) {
      try {
        const res = await fetch(`${base}/api/v1/fleet`, {
          signal: AbortSignal.timeout(5000),
        });
        if (res.ok) {
          last = ((await res.json()) as { data: { clusters: ClusterJson[] } })
            .data.clusters;
          if (expectedNow(last)) {
            reached = true;
            break;
          }
        }
      } catch {
        /* not listening yet */
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    const tookS = Math.round((Date.now() - started) / 1000);
    expect(
      reached,
      `states not reached within ${STATES_WITHIN_MS / 1000}s; last: ${JSON.stringify(last.map(c => [c.cluster, c.state, c.reasons.map(r => r.code)]))}\nstderr: ${stderr}`
    ).toBe(true);
    console.log(`fleetgate demo: planned states showed after ${tookS}s`);

    // Wait for one table print (every 5s) before stopping, then SIGINT.
    const tableDeadline = Date.now() + 15_000;
    while (!stdout.includes('CLUSTER') && Date.now() < tableDeadline)
      await new Promise(resolve => setTimeout(resolve, 250));
    proc.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>(resolve =>
        setTimeout(() => resolve('timeout'), 30_000)
      ),
    ]);
    expect(code, `stderr: ${stderr}`).toBe(0);

    expect(stdout).toContain(`${base}/api/v1/fleet`);
    expect(stdout).toContain(`${base}/api/v1/slos`);
    expect(stdout).toContain(`${base}/api/v1/events`);
    expect(stdout).toContain(`${base}/api/v1/cardinality`);
    expect(stdout).toContain(`${base}/metrics`);
    expect(stdout).toMatch(/CLUSTER\s+STATE\s+REGION\s+ENV/);
    expect(stdout).toContain(SKEWED);
    expect(stdout).toContain('fleetgate demo: stopped');
  }, 150_000);
});
