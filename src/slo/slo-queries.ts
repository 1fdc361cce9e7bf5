/**
 * The SLO engine's queries: reports for the API and /metrics from window
 * sums, local or merged over the replicas (the engine says which), with
 * the API's parameters checked here.
 */
import { parseDuration } from '../config/index.js';
import { InvalidPayloadError } from '../errors.js';
import { buildSloReport, type SloReport, type SloSums } from './slo-report.js';
import type { SloRuntime, SloSet } from './slo-set.js';

/** Query of the API (raw parameters). */
export interface SloQuery {
  readonly cluster?: string | undefined;
  /** A duration among the SLO's windows, e.g. "1h". */
  readonly window?: string | undefined;
}

/** What the API routes need (the engine implements it). */
export interface SloQueries {
  reports(query?: SloQuery): Promise<SloReport[]>;
  /** Undefined when no SLO has that name. */
  report(name: string, query?: SloQuery): Promise<SloReport | undefined>;
}

/** Window sums of every SLO (`only` undefined) or of one, as of `nowMs`. */
export type SloSumsSource = (
  nowMs: number,
  only: SloRuntime | undefined
) => Promise<SloSums[]>;

export class SloReportQueries implements SloQueries {
  private readonly _set: SloSet;
  private readonly _sums: SloSumsSource;
  private readonly _now: () => number;
  private readonly _metricsCacheMs: number;
  private _metricsView:
    { atMs: number; reports: Promise<SloReport[]> } | undefined;

  constructor(
    set: SloSet,
    sums: SloSumsSource,
    now: () => number,
    metricsCacheMs: number
  ) {
    this._set = set;
    this._sums = sums;
    this._now = now;
    this._metricsCacheMs = metricsCacheMs;
  }

  /** The SLO set changed: cached figures are stale. */
  invalidate(): void {
    this._metricsView = undefined;
  }

  /**
   * Every SLO's report, in config order (GET /api/v1/slos). With `window`,
   * an SLO that does not report that window shows no windows.
   *
   * @throws InvalidPayloadError when `window` is not a duration.
   */
  async reports(query: SloQuery = {}): Promise<SloReport[]> {
    const windowMs = parseWindowParam(query.window);
    const sums = await this._sums(this._now(), undefined);
    return sums.map(s =>
      buildSloReport(s, {
        cluster: emptyToUndefined(query.cluster),
        windowIndex:
          windowMs === undefined ? undefined : s.def.windowIndex(windowMs),
      })
    );
  }

  /**
   * One SLO's report (GET /api/v1/slos/{name}); undefined for an unknown name.
   *
   * @throws InvalidPayloadError when `window` is not one of its windows.
   */
  async report(
    name: string,
    query: SloQuery = {}
  ): Promise<SloReport | undefined> {
    const slo = this._set.byName.get(name);
    if (slo === undefined) return undefined;
    const windowMs = parseWindowParam(query.window);
    const windowIndex =
      windowMs === undefined ? undefined : slo.def.windowIndex(windowMs);
    if (windowIndex === -1) {
      throw new InvalidPayloadError(
        `cannot use 'window' param ${JSON.stringify(query.window)}: SLO ${JSON.stringify(name)} reports ${slo.def.windowNames.join(', ')}`
      );
    }
    const [sums] = await this._sums(this._now(), slo);
    return buildSloReport(sums!, {
      cluster: emptyToUndefined(query.cluster),
      windowIndex,
    });
  }

  /** Every SLO's report for /metrics, computed at most once per `metricsCacheMs`. */
  metricsReports(): Promise<SloReport[]> {
    const nowMs = this._now();
    const view = this._metricsView;
    if (view !== undefined && nowMs - view.atMs < this._metricsCacheMs)
      return view.reports;
    const reports = this.reports();
    this._metricsView = { atMs: nowMs, reports };
    // A failed computation is not cached.
    reports.catch(() => {
      if (this._metricsView?.reports === reports) this._metricsView = undefined;
    });
    return reports;
  }
}

/** The `window` parameter in ms (undefined when absent). */
function parseWindowParam(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) {
    throw new InvalidPayloadError(
      `cannot parse 'window' param ${JSON.stringify(text)}: want a duration such as 5m, 1h or 30d`
    );
  }
  return ms;
}

function emptyToUndefined(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}
