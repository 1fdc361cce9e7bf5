/**
 * Sends the alerts of fleetgate's own sources (the SLO engine, the fleet
 * tracker) to every configured Alertmanager, following the client contract
 * of Alertmanager's v2 API (PROTOCOLS.md §2.16), as Prometheus' notifier does:
 *
 * - Every `resend_interval` it asks the sources which alerts fire and posts
 *   all of them with `endsAt` = now + 4 × interval. Alertmanager keeps them
 *   firing between posts, and resolves them by itself when fleetgate stops
 *   sending (a crashed gateway never leaves an alert firing for good).
 * - An alert missing from the sources' answer has stopped: it is posted
 *   resolved, with `endsAt` = the evaluation that noticed it, at that and at
 *   each following evaluation for min(5m, 3 × interval), so an Alertmanager
 *   that missed one post still learns it.
 * - Each Alertmanager gets the same alerts, in batches of 64, on its own:
 *   5xx, 429 and network errors are retried with backoff until the next
 *   evaluation is due (which sends the state of then); a 4xx is logged and
 *   not retried.
 *
 * Several replicas may send the same alerts: Alertmanager merges alerts with
 * equal labels, so sources must not put replica-specific labels on them.
 */
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import { Backoff } from '../forward/index.js';
import type { Logger } from '../telemetry/index.js';
import { alertFingerprint } from './alert-fingerprint.js';
import type { AlertSource, GatewayAlert } from './alert-source.js';
import {
  AlertmanagerClient,
  DEFAULT_ALERTMANAGER_TIMEOUT_MS,
} from './alertmanager-client.js';
import { AlertingMetrics, type AlertSendResult } from './alerting-metrics.js';
import {
  invalidAlertReason,
  toPostableAlert,
  type PostableAlert,
} from './postable-alert.js';

/** A firing alert is posted with endsAt this many intervals ahead (Prometheus uses 4 too). */
export const FIRING_ENDS_AFTER_INTERVALS = 4;
/** A resolved alert is posted again for this many intervals ... */
export const RESOLVED_RESEND_INTERVALS = 3;
/** ... but no longer than this (Alertmanager's guidance: up to 5 minutes). */
export const MAX_RESOLVED_RESEND_MS = 5 * 60_000;
/** Alerts per POST (Prometheus' notifier batches 64 as well). */
export const MAX_ALERTS_PER_REQUEST = 64;
/** Default backoff bounds between retries of one POST. */
export const DEFAULT_RETRY_MIN_MS = 500;
export const DEFAULT_RETRY_MAX_MS = 10_000;

/** The notifier's view of the config; `Config['alerting']` fits. */
export interface AlertNotifierConfig {
  /** Base URLs of the Alertmanagers (`http://127.0.0.1:9093`), each sent every alert. */
  readonly alertmanagers: readonly string[];
  /** Evaluation and resend period in ms. */
  readonly resend_interval: number;
}

export interface AlertNotifierDeps {
  /** Asked in parallel at every evaluation; their alerts are merged by labels. */
  readonly sources: readonly AlertSource[];
  /** Where `fleetgate_alerts_sent_total` and `fleetgate_alerts_active` go. */
  readonly registry: Registry;
  readonly logger: Logger;
  /** `generatorURL` of alerts whose source gives none (e.g. the gateway's URL). */
  readonly generatorURL?: string;
  /** Defaults to the global fetch (undici); tests inject their own. */
  readonly fetch?: typeof globalThis.fetch;
  /** Unix time in ms (injected by tests). */
  readonly now?: () => number;
  /** [0, 1) like Math.random, for the retry jitter (injected by tests). */
  readonly random?: () => number;
  /** Backoff bounds between retries, in ms (defaults 500 and 10000). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Timeout of one POST in ms (default 10000). */
  readonly requestTimeoutMs?: number;
}

interface ResolvedAlert {
  readonly alert: GatewayAlert;
  /** When the notifier noticed it stopped: its `endsAt`. */
  readonly resolvedAtMs: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function checkInterval(resendIntervalMs: number): number {
  if (!Number.isFinite(resendIntervalMs) || resendIntervalMs <= 0) {
    throw new ConfigError(
      `cannot send alerts: alerting.resend_interval must be positive, got ${resendIntervalMs}ms`,
      ['alerting.resend_interval']
    );
  }
  return resendIntervalMs;
}

export class AlertNotifier {
  private readonly _sources: readonly AlertSource[];
  private readonly _metrics: AlertingMetrics;
  private readonly _logger: Logger;
  private readonly _generatorURL: string | undefined;
  private readonly _fetch: typeof globalThis.fetch | undefined;
  private readonly _now: () => number;
  private readonly _random: () => number;
  private readonly _retryMinMs: number;
  private readonly _retryMaxMs: number;
  private readonly _requestTimeoutMs: number;
  // Aborts in-flight posts and retry waits on stop().
  private readonly _stopController = new AbortController();

  private _intervalMs: number;
  private _clients: AlertmanagerClient[] = [];
  /** fingerprint → alert firing at the last evaluation. */
  private _firing = new Map<string, GatewayAlert>();
  /** fingerprint → alert that stopped, still posted as resolved. */
  private readonly _resolved = new Map<string, ResolvedAlert>();
  /** Each source's last good answer, kept when it fails. */
  private readonly _lastAnswers: (readonly GatewayAlert[] | undefined)[];
  /** Alertmanagers whose last delivery failed (to log their recovery once). */
  private readonly _failing = new Set<string>();
  private _running: Promise<void> | undefined;
  private _timer: NodeJS.Timeout | undefined;
  private _isStarted = false;
  private _isStopped = false;

  /**
   * Throws a ConfigError when `resend_interval` is not positive, and a
   * TypeError when an Alertmanager URL is not a URL (the config schema
   * rules both out).
   */
  constructor(config: AlertNotifierConfig, deps: AlertNotifierDeps) {
    this._sources = deps.sources;
    this._lastAnswers = deps.sources.map(() => undefined);
    this._metrics = new AlertingMetrics(deps.registry);
    this._logger = deps.logger;
    this._generatorURL = deps.generatorURL;
    this._fetch = deps.fetch;
    this._now = deps.now ?? Date.now;
    this._random = deps.random ?? Math.random;
    this._retryMinMs = deps.retryMinMs ?? DEFAULT_RETRY_MIN_MS;
    this._retryMaxMs = deps.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    this._requestTimeoutMs =
      deps.requestTimeoutMs ?? DEFAULT_ALERTMANAGER_TIMEOUT_MS;
    this._intervalMs = checkInterval(config.resend_interval);
    this._clients = this._buildClients(config.alertmanagers);
  }

  /** Alertmanagers posted to, by their `alertmanager` label value. */
  get alertmanagers(): readonly string[] {
    return this._clients.map(c => c.name);
  }

  /**
   * Evaluates now, then every `resend_interval` after the start of the
   * previous evaluation (never two at once). The timer is unref'd.
   */
  start(): void {
    if (this._isStarted || this._isStopped) return;
    this._isStarted = true;
    this._schedule(0);
  }

  /**
   * Takes a new config (a reload) without losing which alerts fire or are
   * being resolved. A new interval applies from the next evaluation on.
   */
  reconfigure(config: AlertNotifierConfig): void {
    this._intervalMs = checkInterval(config.resend_interval);
    this._clients = this._buildClients(config.alertmanagers);
  }

  /**
   * One evaluation: asks the sources, posts firing and resolved alerts to
   * every Alertmanager (with retries until the next evaluation is due).
   * Resolves when every delivery has ended; never rejects. A call during
   * an evaluation joins it.
   */
  evaluateOnce(): Promise<void> {
    this._running ??= this._evaluate().finally(() => {
      this._running = undefined;
    });
    return this._running;
  }

  /**
   * Stops the timer, aborts posts and retry waits in flight, and waits for
   * the running evaluation. Firing alerts are not resolved: they expire in
   * Alertmanager at their endsAt unless another replica keeps sending them.
   */
  async stop(): Promise<void> {
    this._isStopped = true;
    if (this._timer !== undefined) {
      clearTimeout(this._timer);
      this._timer = undefined;
    }
    this._stopController.abort();
    await this._running;
  }

  private _buildClients(urls: readonly string[]): AlertmanagerClient[] {
    const previous = new Map(this._clients.map(c => [c.url, c]));
    return urls.map(url => {
      const client = new AlertmanagerClient(url, {
        timeoutMs: this._requestTimeoutMs,
        now: this._now,
        ...(this._fetch === undefined ? {} : { fetch: this._fetch }),
      });
      const kept = previous.get(client.url);
      if (kept !== undefined) return kept;
      this._metrics.addAlertmanager(client.name);
      return client;
    });
  }

  private _schedule(delayMs: number): void {
    this._timer = setTimeout(() => {
      this._timer = undefined;
      const startedAt = this._now();
      void this.evaluateOnce().then(() => {
        if (this._isStopped) return;
        this._schedule(Math.max(0, startedAt + this._intervalMs - this._now()));
      });
    }, delayMs);
    this._timer.unref();
  }

  private async _evaluate(): Promise<void> {
    try {
      const current = await this._collect();
      const nowMs = this._now();
      const intervalMs = this._intervalMs;
      for (const [key, alert] of this._firing) {
        if (!current.has(key))
          this._resolved.set(key, { alert, resolvedAtMs: nowMs });
      }
      for (const key of current.keys()) this._resolved.delete(key);
      this._firing = current;
      const retentionMs = Math.min(
        MAX_RESOLVED_RESEND_MS,
        RESOLVED_RESEND_INTERVALS * intervalMs
      );
      for (const [key, { resolvedAtMs }] of this._resolved) {
        if (nowMs - resolvedAtMs >= retentionMs) this._resolved.delete(key);
      }
      this._metrics.setActive(current.size);

      const alerts: PostableAlert[] = [];
      const endsAtMs = nowMs + FIRING_ENDS_AFTER_INTERVALS * intervalMs;
      for (const alert of current.values()) {
        // A source clock ahead of ours must not start an alert in the future.
        const startsAtMs = Math.min(alert.activeSinceMs, nowMs);
        alerts.push(
          toPostableAlert(alert, startsAtMs, endsAtMs, this._generatorURL)
        );
      }
      for (const { alert, resolvedAtMs } of this._resolved.values()) {
        const startsAtMs = Math.min(alert.activeSinceMs, resolvedAtMs);
        alerts.push(
          toPostableAlert(alert, startsAtMs, resolvedAtMs, this._generatorURL)
        );
      }
      if (alerts.length === 0) return;
      const deadlineMs = nowMs + intervalMs;
      await Promise.all(
        this._clients.map(client => this._deliver(client, alerts, deadlineMs))
      );
    } catch (err) {
      // Nothing above should throw; if it does, the next evaluation retries.
      this._logger.error({ err }, 'cannot evaluate alerts');
    }
  }

  /** The alerts firing now by fingerprint; a failing source keeps its last answer. */
  private async _collect(): Promise<Map<string, GatewayAlert>> {
    const answers = await Promise.all(
      this._sources.map(async (source, index) => {
        try {
          const alerts = await source.activeAlerts();
          this._lastAnswers[index] = alerts;
          return alerts;
        } catch (err) {
          const kept = this._lastAnswers[index] ?? [];
          this._logger.warn(
            { err, source: index, kept: kept.length },
            'cannot read active alerts from a source: keeping its previous alerts'
          );
          return kept;
        }
      })
    );
    const current = new Map<string, GatewayAlert>();
    let invalid = 0;
    for (const alerts of answers) {
      for (const alert of alerts) {
        const reason = invalidAlertReason(alert);
        if (reason !== undefined) {
          invalid++;
          this._logger.warn(
            { labels: alert.labels, reason },
            `cannot send alert: ${reason}`
          );
          continue;
        }
        const key = alertFingerprint(alert.labels);
        if (!current.has(key)) current.set(key, alert);
      }
    }
    for (const client of this._clients)
      this._metrics.countSent(client.name, 'invalid', invalid);
    return current;
  }

  private async _deliver(
    client: AlertmanagerClient,
    alerts: readonly PostableAlert[],
    deadlineMs: number
  ): Promise<void> {
    for (let i = 0; i < alerts.length; i += MAX_ALERTS_PER_REQUEST) {
      const batch = alerts.slice(i, i + MAX_ALERTS_PER_REQUEST);
      const result = await this._postWithRetries(client, batch, deadlineMs);
      this._metrics.countSent(client.name, result, batch.length);
    }
  }

  private async _postWithRetries(
    client: AlertmanagerClient,
    batch: readonly PostableAlert[],
    deadlineMs: number
  ): Promise<Exclude<AlertSendResult, 'invalid'>> {
    const signal = this._stopController.signal;
    const backoff = new Backoff(
      this._retryMinMs,
      this._retryMaxMs,
      this._random
    );
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return 'failed';
      const result = await client.post(batch, signal);
      if (result.status === 'success') {
        if (this._failing.delete(client.name)) {
          this._logger.info(
            { alertmanager: client.name },
            'alertmanager takes alerts again'
          );
        }
        return 'success';
      }
      if (result.status === 'failure') {
        // Sending the same alerts again gets the same answer.
        this._logger.warn(
          {
            alertmanager: client.name,
            status: result.httpStatus,
            alerts: batch.length,
            body: result.responseBody,
          },
          `${result.error.message}; not retrying`
        );
        return 'rejected';
      }
      const delayMs = result.retryInMillis ?? backoff.nextDelayMs();
      // Aborted while the send was awaited (narrowing cannot see that).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (signal.aborted) return 'failed';
      if (this._now() + delayMs >= deadlineMs) {
        this._failing.add(client.name);
        this._logger.warn(
          {
            alertmanager: client.name,
            status: result.httpStatus,
            alerts: batch.length,
            attempts: attempt,
          },
          `${result.error.message}; giving up until the next evaluation`
        );
        return 'failed';
      }
      this._logger.debug(
        {
          alertmanager: client.name,
          status: result.httpStatus,
          retryInMs: delayMs,
        },
        `${result.error.message}; retrying`
      );
      await sleep(delayMs, signal);
    }
  }
}
