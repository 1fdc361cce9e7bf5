/**
 * GET /api/v1/fleet and GET /api/v1/fleet/clusters/{cluster}: the fleet
 * health view (docs/architecture.md "JSON shapes"), in Prometheus' API envelope.
 * Times are RFC 3339 (UTC), durations in seconds, rates per second; absent
 * values are null, so every key is always there. An unknown cluster is a
 * 404 with the JSON error shape (from the error handler).
 */
import type { RequestHandler } from 'express';
import { NotFoundError } from '../../errors.js';
import type {
  ClusterDetail,
  ClusterHealth,
  ClusterState,
  FleetEvaluation,
  Signal,
  SloStatus,
  StateCounts,
} from '../../fleet/index.js';
import { SIGNALS } from '../../fleet/index.js';
import { formatDuration } from '../../config/index.js';

/** What the handlers read; FleetTracker fits. */
export interface FleetReportSource {
  evaluate(): Promise<FleetEvaluation>;
  clusterDetail(cluster: string): Promise<ClusterDetail | undefined>;
}

export interface FleetRouteDeps {
  readonly fleet: FleetReportSource;
}

export interface ReasonJson {
  code: string;
  message: string;
}

/** One cluster in the fleet list. */
export interface FleetClusterJson {
  cluster: string;
  region: string;
  env: string;
  team: string;
  state: ClusterState;
  reasons: ReasonJson[];
  /** RFC 3339 per signal, null when never seen. */
  last_seen: Record<Signal, string | null>;
  clock_skew_seconds: number | null;
  samples_per_second: number;
  log_lines_per_second: number;
  active_series: number | null;
}

export interface SloJson {
  name: string;
  objective: number;
  error_budget_remaining: number;
  alerts: Record<string, boolean>;
}

export type StateCountsJson = Record<ClusterState, number> & { total: number };

/** `data` of GET /api/v1/fleet. */
export interface FleetJson {
  evaluated_at: string;
  summary: {
    total: number;
    by_state: StateCountsJson;
    by_region: Record<string, StateCountsJson>;
    by_env: Record<string, StateCountsJson>;
  };
  /** Fleet-wide SLO status. */
  slos: SloJson[];
  /** Registered clusters, worst first. */
  clusters: FleetClusterJson[];
  /** Senders outside the registry, listed apart. */
  unregistered: FleetClusterJson[];
}

/** `data` of GET /api/v1/fleet/clusters/{cluster}. */
export interface ClusterDetailJson extends FleetClusterJson {
  evaluated_at: string;
  registered: boolean;
  reasons: (ReasonJson & { since: string })[];
  events_per_second: number;
  series_budget: number | null;
  budget_use: number | null;
  drops: { window: string; series_by_reason: Record<string, number> };
  refusals: {
    window: string;
    requests: number;
    refused_by_reason: Record<string, number>;
  };
  clock_skew: {
    seconds: number | null;
    verdict: string;
    observations: number;
    median_offset_seconds: number | null;
  };
  /** The most recently seen collector. */
  collector: { kind: string; version: string } | null;
  collectors: {
    kind: string;
    version: string;
    signals: Signal[];
    last_seen: string;
  }[];
  slos: SloJson[];
  warning_events: { window: string; by_reason: Record<string, number> } | null;
}

/** GET /api/v1/fleet */
export function fleetHandler(deps: FleetRouteDeps): RequestHandler {
  return async (_req, res) => {
    const evaluation = await deps.fleet.evaluate();
    res.json({ status: 'success', data: fleetJson(evaluation) });
  };
}

/** GET /api/v1/fleet/clusters/:cluster */
export function fleetClusterHandler(deps: FleetRouteDeps): RequestHandler {
  return async (req, res) => {
    const cluster = String(req.params['cluster'] ?? '');
    const detail = await deps.fleet.clusterDetail(cluster);
    if (detail === undefined)
      throw new NotFoundError(
        `cannot find cluster ${JSON.stringify(cluster)}: it is not in the registry and has sent nothing recently`
      );
    res.json({ status: 'success', data: clusterDetailJson(detail) });
  };
}

export function fleetJson(evaluation: FleetEvaluation): FleetJson {
  const { summary } = evaluation;
  return {
    evaluated_at: rfc3339(evaluation.atMs),
    summary: {
      total: summary.byState.total,
      by_state: { ...summary.byState },
      by_region: mapValues(summary.byRegion),
      by_env: mapValues(summary.byEnv),
    },
    slos: evaluation.slos.map(sloJson),
    clusters: evaluation.clusters.map(clusterJson),
    unregistered: evaluation.unregistered.map(clusterJson),
  };
}

export function clusterDetailJson(detail: ClusterDetail): ClusterDetailJson {
  const latest = detail.collectors[0];
  return {
    ...clusterJson(detail),
    evaluated_at: rfc3339(detail.atMs),
    registered: detail.isRegistered,
    reasons: detail.reasons.map(r => ({
      code: r.code,
      message: r.message,
      since: rfc3339(r.sinceMs),
    })),
    events_per_second: round3(detail.eventsPerSecond),
    series_budget: detail.seriesBudget ?? null,
    budget_use:
      detail.budgetUse === undefined ? null : round3(detail.budgetUse),
    drops: {
      window: formatDuration(detail.countWindowMs),
      series_by_reason: { ...detail.drops },
    },
    refusals: {
      window: formatDuration(detail.countWindowMs),
      requests: detail.requests,
      refused_by_reason: { ...detail.refusals },
    },
    clock_skew: {
      seconds: seconds(detail.skew.skewMs),
      verdict: detail.skew.verdict,
      observations: detail.skew.observations,
      median_offset_seconds: seconds(detail.skew.medianOffsetMs),
    },
    collector:
      latest === undefined
        ? null
        : { kind: latest.kind, version: latest.version },
    collectors: detail.collectors.map(c => ({
      kind: c.kind,
      version: c.version,
      signals: [...c.signals],
      last_seen: rfc3339(c.lastSeenMs),
    })),
    slos: detail.slos.map(sloJson),
    warning_events:
      detail.warningEvents === undefined
        ? null
        : {
            window: formatDuration(detail.warningEvents.windowMs),
            by_reason: { ...detail.warningEvents.byReason },
          },
  };
}

function clusterJson(c: ClusterHealth): FleetClusterJson {
  const lastSeen = {} as Record<Signal, string | null>;
  for (const signal of SIGNALS) {
    const at = c.lastSeenMs[signal];
    lastSeen[signal] = at === undefined ? null : rfc3339(at);
  }
  return {
    cluster: c.cluster,
    region: c.region,
    env: c.env,
    team: c.team,
    state: c.state,
    reasons: c.reasons.map(r => ({ code: r.code, message: r.message })),
    last_seen: lastSeen,
    clock_skew_seconds: seconds(c.clockSkewMs),
    samples_per_second: round3(c.samplesPerSecond),
    log_lines_per_second: round3(c.logLinesPerSecond),
    active_series: c.activeSeries ?? null,
  };
}

function sloJson(slo: SloStatus): SloJson {
  return {
    name: slo.name,
    objective: slo.objective,
    error_budget_remaining: slo.errorBudgetRemaining,
    alerts: { ...slo.alerts },
  };
}

function mapValues(
  counts: Readonly<Record<string, StateCounts>>
): Record<string, StateCountsJson> {
  const out: Record<string, StateCountsJson> = {};
  for (const key of Object.keys(counts).sort()) out[key] = { ...counts[key]! };
  return out;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms) / 1000;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
