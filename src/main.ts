/**
 * Composition root: config → state → generation (pipeline, forwarders) →
 * HTTP server → alerting. It only wires; the parts live in src/runtime/:
 * the state that outlives reloads (gateway-state.ts), forwarding
 * (build-forwarding.ts), one configuration's generation
 * (build-generation.ts) and its reload and rollback (generation-switch.ts).
 * SIGTERM drains: stop accepting, finish in-flight requests, flush the
 * forward queues.
 */
import type { AddressInfo } from 'node:net';
import { createApp, createHttpServer } from './api/index.js';
import { loadConfig, type Config, type Environment } from './config/index.js';
import { CONFIG_CHECKS } from './config-checks.js';
import {
  AlertNotifier,
  FleetAlertSource,
  SloAlertSource,
} from './alerting/index.js';
import { readFleetgateVersion } from './forward/index.js';
import { DeltaToCumulative } from './ingest/index.js';
import {
  GenerationSwitch,
  buildForwarding,
  buildGeneration,
  closeForwarding,
  createGatewayState,
  gatewayReadiness,
} from './runtime/index.js';
import { createLogger, SelfMetrics, type Logger } from './telemetry/index.js';

export interface GatewayOptions {
  /** Config file; undefined means the embedded default. */
  configPath?: string | undefined;
  env?: Environment;
  logger?: Logger;
  /** Overrides server.listen (tests use port 0). */
  listen?: string;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly metrics: SelfMetrics;
  config(): Config;
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Splits "host:port" (IPv6 in brackets). */
export function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return {
    host: listen.slice(0, at).replace(/^\[|\]$/g, '') || '0.0.0.0',
    port: Number(listen.slice(at + 1)),
  };
}

/** The URL a local client reaches a listener at. */
function urlOf(host: string, port: number): string {
  const urlHost = host.includes(':')
    ? `[${host}]`
    : host === '0.0.0.0'
      ? '127.0.0.1'
      : host;
  return `http://${urlHost}:${port}`;
}

export async function startGateway(
  options: GatewayOptions = {}
): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  const metrics = new SelfMetrics({ version: readFleetgateVersion() });
  // The listen address is fixed at start: a reload keeps it.
  const withListen =
    (listen: string | undefined) =>
    (c: Config): Config =>
      listen === undefined ? c : { ...c, server: { ...c.server, listen } };
  const initial = withListen(options.listen)(
    await loadConfig(options.configPath, env, CONFIG_CHECKS)
  );
  const { host, port } = splitListen(initial.server.listen);

  const state = await createGatewayState(initial, {
    env,
    metrics,
    logger,
    config: () => generations.current.config,
    registry: () => generations.current.registry,
  });
  const parts = {
    state,
    metrics,
    logger,
    host,
    deltaState: new DeltaToCumulative(),
  };
  const generations: GenerationSwitch = new GenerationSwitch(initial, {
    build: (c, forwarding) => buildGeneration(c, forwarding, parts),
    buildForwarding: c => buildForwarding(c, { metrics, logger }),
    closeForwarding,
    apply: next => {
      state.reconfigure(next);
      alerts.reconfigure(next.alerting);
      http.applySettings(next.server);
    },
    metrics,
    logger,
  });
  const config = (): Config => generations.current.config;
  const reload = (): Promise<void> =>
    generations.reload(async () =>
      withListen(config().server.listen)(
        await loadConfig(options.configPath, env, CONFIG_CHECKS)
      )
    );

  let isDraining = false;
  const app = createApp({
    runtime: () => generations.current.runtime,
    metrics,
    logger,
    readiness: () => gatewayReadiness(isDraining, state.health()),
    reload,
    cardinality: () => state.cardinalityQueries,
    fleet: state.fleet,
    logs: () => generations.current.logs,
    events: state.events,
    slos: () => state.slo,
  });
  const http = createHttpServer(app, {
    settings: initial.server,
    metrics,
    logger: logger.child({ component: 'http' }),
  });
  const { server } = http;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = urlOf(host, bound);
  logger.info(
    {
      listen: `${host}:${bound}`,
      clusters: initial.clusters.length,
      downstreams: initial.forward.remote_write.length,
    },
    'fleetgate listening'
  );

  // The gateway's own SLO and fleet alerts, straight to Alertmanager (re-sent while firing, then resolved).
  const runbookUrl = (): string | undefined => config().alerting.runbook_url;
  const alerts = new AlertNotifier(initial.alerting, {
    sources: [
      // The registry is replaced on reload: look the cluster up in the current one.
      new SloAlertSource(
        state.slo,
        { byName: name => generations.current.registry.byName(name) },
        Date.now,
        runbookUrl
      ),
      new FleetAlertSource(state.fleet, Date.now, runbookUrl),
    ],
    registry: metrics.registry,
    logger: logger.child({ component: 'alerting' }),
    generatorURL: url,
  });
  alerts.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      isDraining = true;
      const timeout = config().server.shutdown_timeout;
      const stopped = new Promise<void>(resolve =>
        server.close(() => resolve())
      );
      server.closeIdleConnections();
      const forceAfter = setTimeout(
        () => server.closeAllConnections(),
        timeout
      );
      await stopped;
      clearTimeout(forceAfter);
      await generations.close(timeout);
      await alerts.stop();
      await state.close();
      logger.info('fleetgate stopped');
    })();
    return closing;
  };

  return { url, port: bound, metrics, config, reload, close };
}
