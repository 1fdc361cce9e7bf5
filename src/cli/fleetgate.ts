#!/usr/bin/env node
/**
 * The `fleetgate` command: serve, check-config (and, as they land, demo,
 * fleet, slo rules).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { CONFIG_CHECKS } from '../config-checks.js';
import { ConfigError } from '../errors.js';
import { startGateway } from '../main.js';
import { runSloRulesCommand } from '../slo/index.js';
import { runFleetCommand } from './fleet-command.js';
import { runDemoCommand } from './demo-command.js';
import { createLogger, startTracing } from '../telemetry/index.js';

const USAGE = `usage: fleetgate <command> [options]

commands:
  serve [--config FILE] [--listen HOST:PORT]   run the gateway (embedded default without --config)
  check-config FILE                            validate a config file; exit 0 if valid, 1 with the errors
  fleet [--url URL] [--json]                   the fleet's health from a running gateway; exit 1 if any cluster is down or degraded
  slo rules --config FILE [--output FILE]      write Prometheus recording and alerting rules for the SLOs
  demo [--listen HOST:PORT] [--duration SECONDS]   start the gateway with a simulated fleet of 12 clusters
  help                                         this text

The config file may also come from FLEETGATE_CONFIG.`;

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
    },
    strict: true,
  });
  const logger = createLogger();
  const stopTracing = await startTracing(logger);
  const configPath = values.config ?? process.env['FLEETGATE_CONFIG'];
  let gateway;
  try {
    gateway = await startGateway({
      configPath,
      logger,
      ...(values.listen === undefined ? {} : { listen: values.listen }),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    logger.fatal({ err }, 'cannot start fleetgate');
    return 1;
  }
  process.on('SIGHUP', () => {
    gateway.reload().catch(() => {
      /* reported by reload() itself; the old config keeps serving */
    });
  });
  await new Promise<void>(resolve => {
    const stop = (signal: string): void => {
      logger.info(
        { signal },
        'shutting down: draining in-flight requests and forward queues'
      );
      gateway.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await stopTracing();
  return 0;
}

async function checkConfig(args: string[]): Promise<number> {
  const file = args[0];
  if (file === undefined) {
    process.stderr.write('usage: fleetgate check-config FILE\n');
    return 2;
  }
  try {
    const config = await loadConfig(file, process.env, CONFIG_CHECKS);
    process.stdout.write(
      `${file}: valid (${config.clusters.length} clusters, ${config.slos.length} SLOs, ${config.forward.remote_write.length} remote_write downstreams)\n`
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${file}: invalid\n`);
      for (const issue of err.issues) process.stderr.write(`  ${issue}\n`);
      return 1;
    }
    throw err;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'check-config':
      return checkConfig(rest);
    case 'demo':
      return runDemoCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'fleet':
      return runFleetCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'slo':
      if (rest[0] === 'rules') {
        return runSloRulesCommand(rest.slice(1), {
          stdout: process.stdout,
          stderr: process.stderr,
          configChecks: CONFIG_CHECKS,
        });
      }
      process.stderr.write(
        'usage: fleetgate slo rules --config FILE [--output FILE]\n'
      );
      return 2;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(
        `fleetgate: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `fleetgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`
    );
    process.exitCode = 1;
  }
);
