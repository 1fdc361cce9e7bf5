/**
 * The built command as operators run it: check-config's exit codes and
 * messages, SIGHUP reload (a bad file is refused and the old config keeps
 * serving), and SIGTERM draining.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  resolveGatewayEntry,
  startGateway,
  type GatewayProcess,
} from '../helpers/gateway-process.js';
import { scrapeMetrics, waitFor } from '../helpers/peers.js';

async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {}
): Promise<number> {
  let total = 0;
  for (const sample of await scrapeMetrics(url)) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
      total += sample.value;
  }
  return total;
}

const run = promisify(execFile);

async function fleetgate(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [resolveGatewayEntry(), ...args],
      { env: { ...process.env, PROD_TOKEN: 'prod-token-0123456789' } }
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fleetgate check-config', () => {
  it('exits 0 and summarizes a valid file', async () => {
    const file = join(dir, 'good.yml');
    await writeFile(
      file,
      'clusters:\n  - {name: prod, region: eu, env: prod, team: a, token: "${PROD_TOKEN}"}\n'
    );
    const { code, stdout } = await fleetgate('check-config', file);
    expect(code).toBe(0);
    expect(stdout).toContain('valid (1 clusters');
  });

  it('exits 1 and names the path of every bad key', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(
      file,
      `clusters:
  - {name: a, region: r, env: e}
  - {name: b, region: r, env: e}
  - {name: c, env: e}
relabel_configs:
  - {action: hashmod, target_label: shard}
  - {regex: "(", action: drop}
`
    );
    const { code, stderr } = await fleetgate('check-config', file);
    expect(code).toBe(1);
    expect(stderr).toContain('clusters[2].region: required');
    expect(stderr).toContain(
      'relabel_configs[0].modulus: required for action hashmod'
    );
    expect(stderr).toMatch(/relabel_configs\[1\]\.regex: cannot compile/);
  });

  it('exits 1 for a missing file and 2 without an argument', async () => {
    expect((await fleetgate('check-config', join(dir, 'nope.yml'))).code).toBe(
      1
    );
    expect((await fleetgate('check-config')).code).toBe(2);
  });

  it('refuses an unknown command with usage', async () => {
    const { code, stderr } = await fleetgate('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('usage: fleetgate');
  });
});

describe('fleetgate serve signals', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway(
      'clusters:\n  - {name: prod, region: eu, env: prod, team: a}\n'
    );
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('reloads on SIGHUP, keeps serving on a bad file, and reports both', async () => {
    const original = await readFile(gateway.configFile, 'utf8');
    await writeFile(gateway.configFile, 'clusters: [{name: broken}]\n');
    process.kill(gateway.pid, 'SIGHUP');
    await waitFor(
      async () =>
        (await metricValue(gateway.url, 'fleetgate_config_reloads_total', {
          result: 'failure',
        })) === 1,
      10_000
    );
    expect((await fetch(`${gateway.url}/-/ready`)).status).toBe(200);
    expect(gateway.logs()).toContain('configuration reload failed');

    await writeFile(gateway.configFile, original.replace('team: a', 'team: b'));
    process.kill(gateway.pid, 'SIGHUP');
    await waitFor(
      async () =>
        (await metricValue(gateway.url, 'fleetgate_config_reloads_total', {
          result: 'success',
        })) === 1,
      10_000
    );
    expect(
      await metricValue(gateway.url, 'fleetgate_config_last_reload_successful')
    ).toBe(1);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const second = await startGateway('{}\n');
    process.kill(second.pid, 'SIGTERM');
    await waitFor(() => second.process.exitStatus(), 15_000);
    expect(second.process.exitStatus()).toBe('exit code 0');
    expect(second.logs()).toContain('fleetgate stopped');
    await second.stop();
  });
});
