/**
 * `fleetgate slo rules` against the real promtool (Debian's prometheus 2.42
 * package): the generated rule files load, the example in alerts/slo/ is
 * what the generator writes today, and the promtool unit tests next to it
 * show the alerts firing and resolving on synthetic series.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.js';
import { CONFIG_CHECKS } from '../../src/config-checks.js';
import {
  generateSloRules,
  runSloRulesCommand,
} from '../../src/slo/rules/index.js';

const ALERTS_DIR = fileURLToPath(new URL('../../alerts/slo/', import.meta.url));
const EXAMPLE_CONFIG = join(ALERTS_DIR, 'example-config.yml');
const EXAMPLE_RULES = join(ALERTS_DIR, 'example-slos.yml');
const EXAMPLE_TESTS = join(ALERTS_DIR, 'example-slos.test.yml');
/** The unit tests evaluate ~6h of rules at 1m steps; slow on a busy 2-core machine. */
const PROMTOOL_TEST_TIMEOUT_MS = 300_000;

interface Outcome {
  code: number;
  output: string;
}

function promtool(
  args: string[],
  timeoutMs = PROMTOOL_TEST_TIMEOUT_MS
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      'promtool',
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new Error(
              'cannot run promtool: not installed (apt-get install -y prometheus)',
              { cause: err }
            )
          );
          return;
        }
        const code =
          err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      }
    );
  });
}

// Every SLI shape and the le spellings that need a regex matcher (1 and 1e6).
const MIXED_CONFIG = `
slos:
  - name: api-availability
    service: api
    objective: 0.995
    window: 7d
    labels: {team: core}
    sli:
      ratio:
        bad: http_requests_total{code=~"5..|429"}
        total: http_requests_total
  - name: queue-success
    service: queue
    objective: 0.99
    window: 28d
    sli:
      ratio:
        good: jobs_total{outcome="done"}
        total: jobs_total{outcome=~"done|failed"}
  - name: api-latency
    service: api
    objective: 0.95
    sli:
      latency:
        histogram: http_request_duration_seconds
        threshold: 1
  - name: rpc-latency-us
    service: rpc
    objective: 0.999
    window: 3d
    sli:
      latency:
        histogram: rpc_duration_microseconds
        threshold: 1000000
        selector: '{service="rpc", method!="Health",}'
`;

describe('fleetgate slo rules with promtool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-slo-promtool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes rules that promtool check rules accepts, for ratio (bad and good) and latency SLIs', async () => {
    const file = join(dir, 'mixed.yml');
    const slos = parseConfig(MIXED_CONFIG, {}, 'mixed').slos;
    await writeFile(
      file,
      generateSloRules(slos, { groupInterval: '30s', alertFor: { page: '2m' } })
    );
    const got = await promtool(['check', 'rules', file]);
    expect(got.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(got.code).toBe(0);
  });

  it('writes through the command a file promtool check rules accepts', async () => {
    const output = join(dir, 'example.yml');
    let stderr = '';
    const code = await runSloRulesCommand(
      ['--config', EXAMPLE_CONFIG, '--output', output],
      {
        stdout: { write: () => true },
        stderr: { write: (text: string) => (stderr += text) },
        env: {},
      }
    );
    expect(stderr).toBe(`wrote rules for 3 SLOs to ${output}\n`);
    expect(code).toBe(0);
    const got = await promtool(['check', 'rules', output]);
    expect(got.output).toContain('SUCCESS: 183 rules found');
    expect(got.code).toBe(0);
  });

  it('keeps alerts/slo/example-slos.yml what the generator writes from example-config.yml', async () => {
    const config = await loadConfig(EXAMPLE_CONFIG, {}, CONFIG_CHECKS);
    const want = generateSloRules(config.slos);
    const have = await readFile(EXAMPLE_RULES, 'utf8');
    expect(
      have === want,
      'alerts/slo/example-slos.yml is stale: regenerate it with `fleetgate slo rules --config alerts/slo/example-config.yml --output alerts/slo/example-slos.yml`, then check alerts/slo/example-slos.test.yml'
    ).toBe(true);
  });

  it(
    'passes the promtool unit tests: pages fire on both windows of a pair and resolve, tickets, fleet scope, objective series',
    async () => {
      const got = await promtool(['test', 'rules', EXAMPLE_TESTS]);
      expect(got.output, got.output).toContain('SUCCESS');
      expect(got.code).toBe(0);
    },
    PROMTOOL_TEST_TIMEOUT_MS + 10_000
  );
});
