import { CONFIG_CHECKS } from '../../config-checks.js';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runSloRulesCommand } from './slo-rules-command.js';

const CONFIG = `
slos:
  - name: checkout-availability
    service: checkout
    objective: 0.999
    sli:
      ratio:
        bad: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
`;

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  args: string[],
  env: Record<string, string> = {}
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runSloRulesCommand(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    configChecks: CONFIG_CHECKS,
  });
  return { code, stdout, stderr };
}

describe('runSloRulesCommand()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetgate-slo-rules-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the rule file to stdout', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(config, CONFIG);
    const got = await run(['--config', config]);
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(
      (parse(got.stdout) as { groups: { name: string }[] }).groups.map(
        g => g.name
      )
    ).toEqual(['fleetgate-slo-checkout-availability']);
  });

  it('writes the rule file to --output, leaving no temporary file', async () => {
    const config = join(dir, 'config.yml');
    const output = join(dir, 'rules.yml');
    await writeFile(config, CONFIG);
    const got = await run([
      '-c',
      config,
      '-o',
      output,
      '--group-interval',
      '30s',
      '--runbook-url',
      'https://wiki/{slo}',
    ]);
    expect(got).toEqual({
      code: 0,
      stdout: '',
      stderr: `wrote rules for 1 SLOs to ${output}\n`,
    });
    const text = await readFile(output, 'utf8');
    expect(text).toContain('interval: 30s');
    expect(text).toContain('runbook_url: https://wiki/checkout-availability');
    expect(await readdir(dir)).toEqual(['config.yml', 'rules.yml']);
  });

  it("links the config's alerting.runbook_url unless --runbook-url says otherwise", async () => {
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      `${CONFIG}alerting:\n  runbook_url: https://runbooks.example/{service}/{alert}\n`
    );
    const fromConfig = await run(['--config', config]);
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stdout).toContain(
      'runbook_url: https://runbooks.example/checkout/sloerrorbudgetburn'
    );
    const fromFlag = await run([
      '--config',
      config,
      '--runbook-url',
      'https://wiki/{slo}',
    ]);
    expect(fromFlag.stdout).toContain(
      'runbook_url: https://wiki/checkout-availability'
    );
    expect(fromFlag.stdout).not.toContain('runbooks.example');
  });

  it('reads the config path from FLEETGATE_CONFIG', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(config, CONFIG);
    expect((await run([], { FLEETGATE_CONFIG: config })).code).toBe(0);
  });

  it('exits 1 listing every problem of a bad config', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      'slos:\n  - name: x\n    objective: 99.9\n    sli: {ratio: {total: a}}\n'
    );
    const got = await run(['--config', config]);
    expect(got.code).toBe(1);
    expect(got.stdout).toBe('');
    expect(got.stderr).toContain(`${config}: invalid\n`);
    expect(got.stderr).toContain('  slos[0].service: required\n');
    expect(got.stderr).toContain(
      '  slos[0].objective: must be between 0 and 1, got 99.9: it looks like a percentage, write 0.999\n'
    );
  });

  it('exits 1 for a selector the rules cannot use', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      CONFIG.replace(
        'bad: http_requests_total{job="checkout",code=~"5.."}',
        'bad: rate(x[5m])'
      )
    );
    const got = await run(['--config', config]);
    expect(got.code).toBe(1);
    expect(got.stderr).toContain(
      'slos[0].sli.ratio.bad: cannot parse selector "rate(x[5m])"'
    );
  });

  it('exits 1 for an unreadable config file and for bad options', async () => {
    const missing = await run(['--config', join(dir, 'nope.yml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const config = join(dir, 'config.yml');
    await writeFile(config, CONFIG);
    const badInterval = await run([
      '--config',
      config,
      '--group-interval',
      '1h',
    ]);
    expect(badInterval.code).toBe(1);
    expect(badInterval.stderr).toContain(
      'groupInterval: want a duration from 1s to 5m'
    );
  });

  it('exits 1 when the output cannot be written', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(config, CONFIG);
    const got = await run([
      '--config',
      config,
      '--output',
      join(dir, 'no-such-dir', 'rules.yml'),
    ]);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/^cannot write rules to .*rules\.yml: ENOENT/);
  });

  it('says so when the config has no SLOs', async () => {
    const config = join(dir, 'config.yml');
    await writeFile(config, '{}\n');
    const got = await run(['--config', config]);
    expect(got.code).toBe(0);
    expect(parse(got.stdout)).toEqual({ groups: [] });
    expect(got.stderr).toBe(
      `${config}: no SLOs configured; the rule file has no groups\n`
    );
  });

  it.each([[[]], [['--config']], [['--bogus']], [['stray']]])(
    'exits 2 with the usage for %j',
    async args => {
      const got = await run(args);
      expect(got.code).toBe(2);
      expect(got.stderr).toContain('usage: fleetgate slo rules');
    }
  );

  it('prints the usage for --help', async () => {
    const got = await run(['--help']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('usage: fleetgate slo rules');
  });
});
