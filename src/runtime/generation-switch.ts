/**
 * Reload: builds the generation of a new configuration and swaps it in, or
 * keeps the one in force when the new one cannot be built. Forwarders are
 * rebuilt only when the `forward` section changed. A disk queue directory
 * is open by one generation at a time, so with disk queues the old
 * forwarders close first (their data stays on disk and the new ones send
 * it), and a failed build reopens the old configuration's queues. Memory
 * queues drain in the background once the new generation is in force.
 */
import type { Config } from '../config/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';
import type { Forwarding } from './build-forwarding.js';
import type { Generation } from './build-generation.js';

export interface GenerationSwitchDeps {
  build(config: Config, forwarding: Forwarding): Generation;
  buildForwarding(config: Config): Forwarding;
  closeForwarding(forwarding: Forwarding, drainMs: number): Promise<void>;
  /** Applies a new configuration to what outlives generations; called before the swap, may throw to refuse it. */
  apply(next: Config): void;
  metrics: SelfMetrics;
  logger: Logger;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class GenerationSwitch {
  private _current: Generation;
  private readonly _deps: GenerationSwitchDeps;

  constructor(initial: Config, deps: GenerationSwitchDeps) {
    this._deps = deps;
    this._current = deps.build(initial, deps.buildForwarding(initial));
  }

  get current(): Generation {
    return this._current;
  }

  /**
   * Loads the next configuration and swaps it in, counting the outcome in
   * `fleetgate_config_reloads_total`. Rethrows what went wrong; the
   * previous generation stays in force.
   */
  async reload(load: () => Promise<Config>): Promise<void> {
    const { metrics, logger } = this._deps;
    try {
      const next = await load();
      await this.swap(next);
      metrics.configReloads.inc({ result: 'success' });
      metrics.configLastReloadSuccess.set(1);
      metrics.configLastReloadTimestamp.set(Date.now() / 1000);
      logger.info({ clusters: next.clusters.length }, 'configuration reloaded');
    } catch (err) {
      metrics.configReloads.inc({ result: 'failure' });
      metrics.configLastReloadSuccess.set(0);
      logger.error(
        { err: (err as Error).message },
        'configuration reload failed; keeping the previous configuration'
      );
      throw err;
    }
  }

  /** Builds the generation of `next` and puts it in force. */
  async swap(next: Config): Promise<void> {
    const deps = this._deps;
    const old = this._current;
    if (sameJson(next.forward, old.config.forward)) {
      this._install(deps.build(next, old.forwarding));
      return;
    }
    if (
      old.forwarding.pool !== undefined ||
      next.forward.queue.type === 'disk'
    ) {
      await deps.closeForwarding(old.forwarding, 0);
      let forwarding: Forwarding | undefined;
      try {
        forwarding = deps.buildForwarding(next);
        this._install(deps.build(next, forwarding));
      } catch (err) {
        // Release the queue directory before the old configuration reopens it.
        if (forwarding !== undefined) await deps.closeForwarding(forwarding, 0);
        this._current = deps.build(
          old.config,
          deps.buildForwarding(old.config)
        );
        throw err;
      }
      return;
    }
    const forwarding = deps.buildForwarding(next);
    try {
      this._install(deps.build(next, forwarding));
    } catch (err) {
      void deps.closeForwarding(forwarding, 0).catch(this._onDrainError);
      throw err;
    }
    // New writes go to the new downstreams while the old queues drain.
    void deps
      .closeForwarding(old.forwarding, old.config.server.shutdown_timeout)
      .catch(this._onDrainError);
  }

  /** Stops the forwarders in force, draining memory queues for up to `drainMs`. */
  close(drainMs: number): Promise<void> {
    return this._deps.closeForwarding(this._current.forwarding, drainMs);
  }

  private _install(next: Generation): void {
    this._deps.apply(next.config);
    this._current = next;
  }

  private readonly _onDrainError = (err: unknown): void => {
    this._deps.logger.error(
      { err },
      'cannot drain the previous forwarders after reload'
    );
  };
}
