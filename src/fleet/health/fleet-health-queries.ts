/**
 * The fleet tracker's queries: each cluster's state and reasons
 * (cluster-health.ts, health-rules.ts) from its merged record (local plus
 * the peers', fleet-snapshot.ts) and the health sources (SLOs, warning
 * events, cardinality), with hysteresis memories kept in the local records.
 */
import type { RegisteredCluster } from '../cluster-registry.js';
import { UNSET_LABEL_VALUE } from '../cluster-registry.js';
import {
  DEGRADED_REASON_CODES,
  NO_DATA_REASON,
  compareWorstFirst,
  newestLastSeen,
  type ClusterHealth,
  type ClusterState,
  type HealthReason,
  type Signal,
} from './cluster-health.js';
import { estimateClockSkew, type SkewEstimate } from './clock-skew.js';
import {
  DROPS_PREFIX,
  REFUSED_PREFIX,
  REQUESTS_KEY,
  pointsKey,
  type ClusterRecord,
} from './cluster-record.js';
import type { ClusterDirectory, FleetRecorder } from './fleet-recorder.js';
import { summarizeFleet, type FleetSummary } from './fleet-summary.js';
import {
  WARNING_BASELINE_WINDOW_MS,
  WARNING_SPIKE_WINDOW_MS,
  cardinalityReason,
  clockSkewReason,
  humanDuration,
  refusalReason,
  sloFastBurnReason,
  warningSpikeReason,
  type ActiveReason,
} from './health-rules.js';
import {
  countEntries,
  type CardinalityBudgetSource,
  type SloAlertSource,
  type SloStatus,
  type WarningEventSource,
} from './health-sources.js';
import { COUNT_WINDOW_MS, ratePerSecond, sumCounts } from './window-counts.js';
import { formatDuration } from '../../config/index.js';

/** Warning events by reason shown in a cluster's detail. */
export const WARNING_DETAIL_WINDOW_MS = 60 * 60_000;

/** The `fleet` config section (durations in ms). */
export interface FleetThresholds {
  readonly stale_after: number;
  readonly down_after: number;
  readonly max_clock_skew: number;
}

/** One evaluation of the whole fleet. */
export interface FleetEvaluation {
  readonly atMs: number;
  readonly summary: FleetSummary;
  /** Registered clusters, worst first. */
  readonly clusters: readonly ClusterHealth[];
  /** Unregistered senders, worst first. */
  readonly unregistered: readonly ClusterHealth[];
  /** Fleet-wide SLO status (empty without an SLO source). */
  readonly slos: readonly SloStatus[];
}

/** One cluster with what only its detail shows. */
export interface ClusterDetail extends ClusterHealth {
  readonly atMs: number;
  readonly slos: readonly SloStatus[];
  /** Warning events by reason within WARNING_DETAIL_WINDOW_MS; undefined without an events source. */
  readonly warningEvents:
    | {
        readonly windowMs: number;
        readonly byReason: Readonly<Record<string, number>>;
      }
    | undefined;
  readonly skew: SkewEstimate;
}

export interface FleetHealthQueriesOptions {
  readonly registry: () => ClusterDirectory;
  readonly thresholds: () => FleetThresholds;
  readonly now: () => number;
  readonly slos: SloAlertSource | undefined;
  readonly warnings: WarningEventSource | undefined;
  readonly cardinality: CardinalityBudgetSource | undefined;
  readonly clearAfterMs: number;
  readonly onError: (err: unknown) => void;
  /** This replica's records (hysteresis memories live there). */
  readonly recorder: FleetRecorder;
  /** Records merged over the replicas: every cluster, or `only`. */
  readonly merged: (only?: string) => Map<string, ClusterRecord>;
}

export class FleetHealthQueries {
  private readonly _registry: () => ClusterDirectory;
  private readonly _thresholds: () => FleetThresholds;
  private readonly _now: () => number;
  private readonly _slos: SloAlertSource | undefined;
  private readonly _warnings: WarningEventSource | undefined;
  private readonly _cardinality: CardinalityBudgetSource | undefined;
  private readonly _clearAfterMs: number;
  private readonly _onError: (err: unknown) => void;
  private readonly _recorder: FleetRecorder;
  private readonly _merged: (only?: string) => Map<string, ClusterRecord>;

  constructor(options: FleetHealthQueriesOptions) {
    this._registry = options.registry;
    this._thresholds = options.thresholds;
    this._now = options.now;
    this._slos = options.slos;
    this._warnings = options.warnings;
    this._cardinality = options.cardinality;
    this._clearAfterMs = options.clearAfterMs;
    this._onError = options.onError;
    this._recorder = options.recorder;
    this._merged = options.merged;
  }

  /**
   * Evaluates every cluster now: states, reasons (updating the hysteresis
   * memory), rates and counts, merged over all replicas as of the last
   * sync. Never rejects because of a source: failing sources are reported
   * to `onError` and skipped.
   */
  async evaluate(): Promise<FleetEvaluation> {
    const nowMs = this._now();
    const thresholds = this._thresholds();
    const directory = this._registry();
    const merged = this._merged();
    const pending: Promise<ClusterHealth>[] = [];
    for (const registered of directory.all()) {
      pending.push(
        this._evaluateCluster(
          registered.name,
          registered,
          merged.get(registered.name),
          nowMs,
          thresholds
        )
      );
    }
    for (const [name, record] of merged) {
      if (directory.byName(name) !== undefined) continue;
      if (this._isForgotten(record, nowMs, thresholds)) continue;
      pending.push(
        this._evaluateCluster(name, undefined, record, nowMs, thresholds)
      );
    }
    const all = await Promise.all(pending);
    const clusters = all.filter(c => c.isRegistered).sort(compareWorstFirst);
    const unregistered = all
      .filter(c => !c.isRegistered)
      .sort(compareWorstFirst);
    this._recorder.forget(nowMs, directory, record =>
      this._isForgotten(record, nowMs, thresholds)
    );
    const slos =
      this._slos === undefined
        ? []
        : ((await this._ask(() => this._slos!.fleetSlos())) ?? []);
    return {
      atMs: nowMs,
      summary: summarizeFleet(clusters, unregistered),
      clusters,
      unregistered,
      slos,
    };
  }

  /** One cluster's detail, or undefined when it is neither registered nor tracked. */
  async clusterDetail(cluster: string): Promise<ClusterDetail | undefined> {
    const nowMs = this._now();
    const thresholds = this._thresholds();
    const registered = this._registry().byName(cluster);
    const record = this._merged(cluster).get(cluster);
    if (
      registered === undefined &&
      (record === undefined || this._isForgotten(record, nowMs, thresholds))
    )
      return undefined;
    const health = await this._evaluateCluster(
      cluster,
      registered,
      record,
      nowMs,
      thresholds
    );
    const slos =
      this._slos === undefined
        ? []
        : ((await this._ask(() => this._slos!.clusterSlos(cluster))) ?? []);
    let warningEvents: ClusterDetail['warningEvents'];
    if (this._warnings !== undefined) {
      const counts = await this._ask(() =>
        this._warnings!.recentWarnings(
          cluster,
          nowMs - WARNING_DETAIL_WINDOW_MS
        )
      );
      warningEvents = {
        windowMs: WARNING_DETAIL_WINDOW_MS,
        byReason:
          counts === undefined ? {} : Object.fromEntries(countEntries(counts)),
      };
    }
    return {
      ...health,
      atMs: nowMs,
      slos,
      warningEvents,
      skew: estimateClockSkew(record?.skew ?? [], nowMs),
    };
  }

  private async _evaluateCluster(
    name: string,
    registered: RegisteredCluster | undefined,
    record: ClusterRecord | undefined,
    nowMs: number,
    thresholds: FleetThresholds
  ): Promise<ClusterHealth> {
    const lastSeenMs = { ...(record?.lastSeenMs ?? {}) };
    const newest = newestLastSeen(lastSeenMs);
    const { drops, refusals, requests } = windowTotals(record, nowMs);
    const skew = estimateClockSkew(record?.skew ?? [], nowMs);
    // This replica's live count, else the peers' (max: routing keeps a cluster on one replica).
    const activeSeries = maxOfDefined(
      this._cardinality?.activeSeries(name),
      record?.activeSeries
    );
    const seriesBudget = this._cardinality?.seriesBudget(name);
    const firstSeenMs = record?.firstSeenMs ?? nowMs;
    const rate = (signal: Signal): number =>
      record === undefined
        ? 0
        : ratePerSecond(record.countsOf(pointsKey(signal)), nowMs, firstSeenMs);

    let state: ClusterState;
    let reasons: HealthReason[] = [];
    if (newest === undefined) {
      state = registered === undefined ? 'unregistered' : 'unknown';
    } else if (nowMs - newest >= thresholds.stale_after) {
      const silence = silenceOf(newest, nowMs, thresholds);
      state = registered === undefined ? 'unregistered' : silence.state;
      reasons = [silence.reason];
    } else {
      const active = await this._conditions(
        name,
        { drops, refusals, requests, activeSeries, seriesBudget, skew },
        nowMs,
        thresholds
      );
      reasons = this._hold(name, active, nowMs);
      state =
        registered === undefined
          ? 'unregistered'
          : reasons.length > 0
            ? 'degraded'
            : 'healthy';
    }
    return {
      cluster: name,
      region: registered?.region ?? UNSET_LABEL_VALUE,
      env: registered?.env ?? UNSET_LABEL_VALUE,
      team: registered?.team ?? UNSET_LABEL_VALUE,
      isRegistered: registered !== undefined,
      state,
      reasons,
      lastSeenMs,
      samplesPerSecond: rate('metrics'),
      logLinesPerSecond: rate('logs'),
      eventsPerSecond: rate('events'),
      activeSeries,
      seriesBudget,
      budgetUse:
        activeSeries !== undefined &&
        seriesBudget !== undefined &&
        seriesBudget > 0
          ? activeSeries / seriesBudget
          : undefined,
      drops,
      refusals,
      requests,
      countWindowMs: COUNT_WINDOW_MS,
      clockSkewMs: skew.skewMs,
      skewVerdict: skew.verdict,
      skewObservations: skew.observations,
      collectors: record?.collectorList() ?? [],
    };
  }

  /** The degraded conditions that hold now. */
  private async _conditions(
    name: string,
    figures: ClusterFigures,
    nowMs: number,
    thresholds: FleetThresholds
  ): Promise<ActiveReason[]> {
    const { drops, refusals, requests, activeSeries, seriesBudget, skew } =
      figures;
    const active: (ActiveReason | undefined)[] = [];
    if (this._slos !== undefined) {
      const firing = await this._ask(() => this._slos!.firingPageAlerts(name));
      if (firing !== undefined) active.push(sloFastBurnReason(firing));
    }
    active.push(
      cardinalityReason(
        Object.entries(drops),
        activeSeries,
        seriesBudget,
        COUNT_WINDOW_MS
      ),
      refusalReason(Object.entries(refusals), requests, COUNT_WINDOW_MS)
    );
    if (this._warnings !== undefined) {
      const warnings = this._warnings;
      const spikeFrom = nowMs - WARNING_SPIKE_WINDOW_MS;
      const [recent, withBaseline] = await Promise.all([
        this._ask(() => warnings.recentWarnings(name, spikeFrom)),
        this._ask(() =>
          warnings.recentWarnings(name, spikeFrom - WARNING_BASELINE_WINDOW_MS)
        ),
      ]);
      if (recent !== undefined && withBaseline !== undefined) {
        const recentEntries = countEntries(recent);
        const previousHour = Math.max(
          0,
          total(countEntries(withBaseline)) - total(recentEntries)
        );
        active.push(warningSpikeReason(recentEntries, previousHour));
      }
    }
    active.push(clockSkewReason(skew, thresholds.max_clock_skew));
    return active.filter((r): r is ActiveReason => r !== undefined);
  }

  /** Hysteresis: raises what holds now, keeps what held within the clear-after time, clears the rest. */
  private _hold(
    name: string,
    active: readonly ActiveReason[],
    nowMs: number
  ): HealthReason[] {
    const memory = this._recorder.recordFor(name).reasons;
    const clearAfter = this._clearAfterMs;
    const activeCodes = new Set<string>();
    for (const reason of active) {
      activeCodes.add(reason.code);
      const held = memory.get(reason.code);
      if (held === undefined || nowMs - held.lastActiveMs >= clearAfter) {
        memory.set(reason.code, {
          sinceMs: nowMs,
          lastActiveMs: nowMs,
          message: reason.message,
        });
      } else {
        held.lastActiveMs = Math.max(held.lastActiveMs, nowMs);
        held.message = reason.message;
      }
    }
    const out: HealthReason[] = [];
    for (const code of DEGRADED_REASON_CODES) {
      const held = memory.get(code);
      if (held === undefined) continue;
      const quietMs = nowMs - held.lastActiveMs;
      if (quietMs >= clearAfter) {
        memory.delete(code);
        continue;
      }
      const message = activeCodes.has(code)
        ? held.message
        : `${held.message} (last true ${humanDuration(quietMs)} ago; clears after ${formatDuration(clearAfter)} without it)`;
      out.push({ code, message, sinceMs: held.sinceMs });
    }
    return out;
  }

  private _isForgotten(
    record: ClusterRecord,
    nowMs: number,
    thresholds: FleetThresholds
  ): boolean {
    const newest = newestLastSeen(record.lastSeenMs);
    return newest === undefined || nowMs - newest >= thresholds.down_after;
  }

  /** Calls a source; a throw or rejection goes to onError and reads as "no answer". */
  private async _ask<T>(call: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      this._onError(err);
      return undefined;
    }
  }
}

/** What a cluster's degraded conditions are judged on. */
interface ClusterFigures extends WindowTotals {
  readonly activeSeries: number | undefined;
  readonly seriesBudget: number | undefined;
  readonly skew: SkewEstimate;
}

/** Drops and refusals by reason, and requests, within the count window. */
interface WindowTotals {
  readonly drops: Record<string, number>;
  readonly refusals: Record<string, number>;
  readonly requests: number;
}

function windowTotals(
  record: ClusterRecord | undefined,
  nowMs: number
): WindowTotals {
  const drops: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  let requests = 0;
  if (record === undefined) return { drops, refusals, requests };
  const windowFromMs = nowMs - COUNT_WINDOW_MS;
  for (const [key, counts] of record.counts) {
    const n = sumCounts(counts, windowFromMs, nowMs);
    if (n === 0) continue;
    if (key.startsWith(DROPS_PREFIX)) drops[key.slice(DROPS_PREFIX.length)] = n;
    else if (key.startsWith(REFUSED_PREFIX))
      refusals[key.slice(REFUSED_PREFIX.length)] = n;
    else if (key === REQUESTS_KEY) requests = n;
  }
  return { drops, refusals, requests };
}

/** A cluster silent since `newestMs`, past `stale_after`: stale or down, and why. */
function silenceOf(
  newestMs: number,
  nowMs: number,
  thresholds: FleetThresholds
): { state: 'stale' | 'down'; reason: HealthReason } {
  const silentMs = nowMs - newestMs;
  return {
    state: silentMs >= thresholds.down_after ? 'down' : 'stale',
    reason: {
      code: NO_DATA_REASON,
      message: `no data for ${humanDuration(silentMs)} (stale after ${formatDuration(thresholds.stale_after)}, down after ${formatDuration(thresholds.down_after)})`,
      sinceMs: newestMs + thresholds.stale_after,
    },
  };
}

function maxOfDefined(
  a: number | undefined,
  b: number | undefined
): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function total(entries: readonly (readonly [string, number])[]): number {
  let sum = 0;
  for (const [, n] of entries) sum += n;
  return sum;
}
