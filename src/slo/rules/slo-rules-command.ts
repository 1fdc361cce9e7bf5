/**
 * `fleetgate slo rules`: reads the config, writes the Prometheus rule file
 * for its SLOs to stdout or to `--output FILE`. Thin: argument parsing and
 * I/O around generateSloRules.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  loadConfig,
  type ConfigChecks,
  type Environment,
} from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { generateSloRules } from './generate-slo-rules.js';

/** Where a command writes; process.stdout and process.stderr fit. */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** For `${VAR}` in the config and FLEETGATE_CONFIG. Default process.env. */
  readonly env?: Environment | undefined;
  /** The validators the config is loaded with (src/config-checks.ts). */
  readonly configChecks?: ConfigChecks | undefined;
}

/** The command's help text. */
export const SLO_RULES_USAGE = `usage: fleetgate slo rules --config FILE [--output FILE] [--group-interval DURATION] [--runbook-url URL]

Writes Prometheus recording and multi-window multi-burn-rate alerting rules
for the config's SLOs, per cluster and fleet-wide (check them with
\`promtool check rules\`).

options:
  -c, --config FILE          fleetgate config (default: FLEETGATE_CONFIG)
  -o, --output FILE          write the rules here instead of stdout
      --group-interval DUR   evaluation interval of the rule groups (default 1m, at most 5m)
      --runbook-url URL      runbook_url annotation; {alert} (the alert name in
                             lowercase), {slo} and {service} are replaced (default:
                             the config's alerting.runbook_url, which the gateway's
                             own alerts use too; else alerts/RUNBOOKS.md#{alert})
  -h, --help                 this text`;

/** Writes `text` to `path` through a temporary file, so readers never see half a file. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/**
 * Runs `fleetgate slo rules ARGS`. Returns the exit code: 0 written, 1 bad
 * config or options or unwritable output (the problems on stderr), 2 usage.
 */
export async function runSloRulesCommand(
  args: string[],
  io: CommandIo
): Promise<number> {
  const env = io.env ?? process.env;
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        output: { type: 'string', short: 'o' },
        'group-interval': { type: 'string' },
        'runbook-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(
      `fleetgate slo rules: ${(err as Error).message}\n\n${SLO_RULES_USAGE}\n`
    );
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(`${SLO_RULES_USAGE}\n`);
    return 0;
  }
  const configPath = values.config ?? env['FLEETGATE_CONFIG'];
  if (configPath === undefined || configPath === '') {
    io.stderr.write(
      `fleetgate slo rules: --config FILE is required\n\n${SLO_RULES_USAGE}\n`
    );
    return 2;
  }

  let text: string;
  let sloCount: number;
  try {
    const config = await loadConfig(configPath, env, io.configChecks);
    sloCount = config.slos.length;
    text = generateSloRules(config.slos, {
      groupInterval: values['group-interval'],
      // The flag wins; else the config's, so rules and gateway link alike.
      runbookUrl: values['runbook-url'] ?? config.alerting.runbook_url,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`${configPath}: invalid\n`);
    for (const issue of err.issues) io.stderr.write(`  ${issue}\n`);
    return 1;
  }
  if (sloCount === 0)
    io.stderr.write(
      `${configPath}: no SLOs configured; the rule file has no groups\n`
    );

  if (values.output === undefined) {
    io.stdout.write(text);
    return 0;
  }
  try {
    await writeFileAtomic(values.output, text);
  } catch (err) {
    io.stderr.write(
      `cannot write rules to ${values.output}: ${(err as Error).message}\n`
    );
    return 1;
  }
  io.stderr.write(`wrote rules for ${sloCount} SLOs to ${values.output}\n`);
  return 0;
}
