/**
 * An SLO spec (config shape) compiled for the engine: parsed selectors, the
 * windows it reports, its alert pairs, and the static checks check-config
 * runs (`validateSloSpec`). What cannot be checked statically (whether the
 * latency threshold is one of the histogram's `le` buckets) is checked on
 * the data and reported in the SLO's warnings (see SloEngine).
 */
import { formatDuration, objectiveProblem } from '../config/index.js';
import {
  DEFAULT_ALERT_WINDOWS,
  resolveAlertPairs,
  severitiesOf,
  type AlertPair,
  type AlertWindowSpec,
} from './alert-policy.js';
import { retainedWindowMs } from './slo-counters.js';
import {
  equalityMatcher,
  parseSloSelector,
  SelectorSyntaxError,
  withMatchers,
  type SloSelector,
} from './slo-selector.js';
import { METRIC_NAME_LABEL } from '../model/index.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The windows every SLO reports, besides its own and its alert windows. */
export const STANDARD_WINDOWS_MS: readonly number[] = Object.freeze([
  5 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  6 * HOUR_MS,
  DAY_MS,
  3 * DAY_MS,
]);

/** Shortest SLO window (the last tier needs whole minutes per bucket). */
export const MIN_SLO_WINDOW_MS = HOUR_MS;
/** Shortest alert window. */
export const MIN_ALERT_WINDOW_MS = MINUTE_MS;

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export interface RatioSliSpec {
  readonly ratio: {
    readonly bad?: string | undefined;
    readonly good?: string | undefined;
    readonly total: string;
  };
}

export interface LatencySliSpec {
  readonly latency: {
    readonly histogram: string;
    readonly threshold: number;
    readonly selector?: string | undefined;
  };
}

/** An alert pair in config shape (durations already in ms). */
export interface AlertWindowConfig {
  readonly severity: string;
  readonly long: number;
  readonly short: number;
  readonly budget_consumed?: number | undefined;
  readonly factor?: number | undefined;
}

/**
 * One SLO as the config gives it: `slos[]` of schema.ts, plus the optional
 * keys of config/slo-schema.ts. `window` is in ms.
 */
export interface SloSpec {
  readonly name: string;
  readonly service: string;
  readonly description?: string | undefined;
  readonly objective: number;
  readonly window: number;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly sli: RatioSliSpec | LatencySliSpec;
  readonly alerting?:
    { readonly windows?: readonly AlertWindowConfig[] | undefined } | undefined;
}

/** A problem in a spec: the key path below the SLO, and what is wrong. */
export interface SloProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A spec that does not compile; `problems` say where and why. */
export class SloSpecError extends Error {
  readonly problems: readonly SloProblem[];
  constructor(name: string, problems: readonly SloProblem[]) {
    super(
      `invalid SLO ${JSON.stringify(name)}: ${problems.map(p => `${p.path.join('.')}: ${p.message}`).join('; ')}`
    );
    this.name = 'SloSpecError';
    this.problems = problems;
  }
}

/** A selector the engine matches series against, and what a match feeds. */
export interface SloInput {
  /** 0: the A channel (bad, or good for `good` and latency SLIs); 1: total. */
  readonly channel: 0 | 1;
  readonly selector: SloSelector;
  /**
   * `bucket`: a latency histogram's `_bucket` series; A counts only `le` =
   * threshold. `native`: the histogram's own name carrying native
   * histograms, which feed both channels (A: observations at or below the
   * threshold, total: the count); its `channel` is unused.
   */
  readonly kind: 'counter' | 'bucket' | 'native';
}

/** A compiled SLO. Immutable; a reload compiles a new one. */
export class SloDefinition {
  readonly spec: SloSpec;
  readonly name: string;
  readonly objective: number;
  readonly windowMs: number;
  /** Every reported window, ascending, unique: the standard ones, the SLO's, the alert pairs'. */
  readonly windowsMs: readonly number[];
  /** `formatDuration` of each of `windowsMs` (the API's keys). */
  readonly windowNames: readonly string[];
  readonly alertPairs: readonly AlertPair[];
  /** Per pair, the indices in `windowsMs` of its long and short windows: `[long0, short0, long1, …]`. */
  readonly alertWindowIndices: Int32Array;
  /** Index of the SLO's own window in `windowsMs`. */
  readonly ownWindowIndex: number;
  readonly severities: readonly string[];
  /** Channel A counts good events (bad = total − good) rather than bad ones. */
  readonly isGoodChannel: boolean;
  readonly inputs: readonly SloInput[];
  /** The latency threshold (`le` value) for a latency SLI. */
  readonly threshold: number | undefined;
  /** The histogram's base name for a latency SLI. */
  readonly histogram: string | undefined;
  /**
   * Identity of what the counters hold (SLI and window). State restored or
   * merged from elsewhere is used only when this matches.
   */
  readonly stateKey: string;
  /** `stateKey` plus the window list: published window sums are merged only between equal fingerprints. */
  readonly fingerprint: string;
  /** Static warnings (e.g. an alert pair that can never fire). */
  readonly staticWarnings: readonly string[];

  /** Use compileSlo (it validates first). */
  constructor(spec: SloSpec, inputs: SloInput[]) {
    this.spec = spec;
    this.name = spec.name;
    this.objective = spec.objective;
    this.windowMs = spec.window;
    const alertWindows = alertWindowsOf(spec);
    this.alertPairs = resolveAlertPairs(alertWindows, spec.window);
    this.severities = severitiesOf(this.alertPairs);
    const windows = new Set<number>(STANDARD_WINDOWS_MS);
    windows.add(spec.window);
    for (const pair of this.alertPairs) {
      windows.add(pair.longMs);
      windows.add(pair.shortMs);
    }
    this.windowsMs = [...windows].sort((a, b) => a - b);
    this.windowNames = this.windowsMs.map(formatDuration);
    this.ownWindowIndex = this.windowsMs.indexOf(spec.window);
    this.alertWindowIndices = Int32Array.from(
      this.alertPairs.flatMap(p => [
        this.windowsMs.indexOf(p.longMs),
        this.windowsMs.indexOf(p.shortMs),
      ])
    );
    this.inputs = inputs;
    const sli = spec.sli;
    this.isGoodChannel = 'latency' in sli || sli.ratio.good !== undefined;
    this.threshold = 'latency' in sli ? sli.latency.threshold : undefined;
    this.histogram = 'latency' in sli ? sli.latency.histogram : undefined;
    this.stateKey = JSON.stringify({
      sli: normalizeSli(spec),
      window: spec.window,
    });
    this.fingerprint = JSON.stringify({
      state: this.stateKey,
      windows: this.windowsMs,
    });
    const warnings: string[] = [];
    for (const pair of this.alertPairs) {
      const threshold = pair.factor * (1 - spec.objective);
      if (threshold >= 1) {
        warnings.push(
          `the ${pair.severity} pair ${formatDuration(pair.longMs)}/${formatDuration(pair.shortMs)} can never fire: burn rate ${round(pair.factor)} × error budget ${round(1 - spec.objective)} = ${round(threshold)}, and an error ratio cannot exceed 1`
        );
      }
    }
    this.staticWarnings = warnings;
  }

  /** Index of a window in `windowsMs`, or −1. */
  windowIndex(windowMs: number): number {
    return this.windowsMs.indexOf(windowMs);
  }
}

/**
 * Compiles a spec.
 *
 * @throws SloSpecError listing every problem validateSloSpec finds.
 */
export function compileSlo(spec: SloSpec): SloDefinition {
  const problems = validateSloSpec(spec);
  if (problems.length > 0) throw new SloSpecError(spec.name, problems);
  return new SloDefinition(spec, inputsOf(spec));
}

/**
 * Static checks of one spec (what check-config reports): selectors parse,
 * a latency SLI names a plain histogram and a selector without a metric
 * name or `le`, the objective is a ratio in (0, 1), windows fit what the
 * counters keep. Paths are below the SLO (`['sli', 'ratio', 'bad']`).
 */
export function validateSloSpec(spec: SloSpec): SloProblem[] {
  const problems: SloProblem[] = [];
  const problem = (path: (string | number)[], message: string): void => {
    problems.push({ path, message });
  };
  const objective = objectiveProblem(spec.objective);
  if (objective !== undefined) problem(['objective'], objective);
  if (!(spec.window >= MIN_SLO_WINDOW_MS)) {
    problem(
      ['window'],
      `must be at least ${formatDuration(MIN_SLO_WINDOW_MS)}, got ${formatDuration(spec.window)}`
    );
  }
  const sli = spec.sli;
  if ('ratio' in sli) {
    const { bad, good, total } = sli.ratio;
    if ((bad === undefined) === (good === undefined))
      problem(['sli', 'ratio'], 'set exactly one of bad or good');
    for (const [key, text] of [
      ['bad', bad],
      ['good', good],
      ['total', total],
    ] as const) {
      if (text === undefined) continue;
      try {
        parseSloSelector(text);
      } catch (err) {
        problem(['sli', 'ratio', key], messageOf(err));
      }
    }
  } else {
    const { histogram, threshold, selector } = sli.latency;
    if (!METRIC_NAME_RE.test(histogram)) {
      problem(
        ['sli', 'latency', 'histogram'],
        `invalid metric name ${JSON.stringify(histogram)}`
      );
    } else if (/_(bucket|count|sum)$/.test(histogram)) {
      const base = histogram.replace(/_(bucket|count|sum)$/, '');
      problem(
        ['sli', 'latency', 'histogram'],
        `give the histogram's base name ${JSON.stringify(base)}: fleetgate reads ${base}_bucket and ${base}_count`
      );
    }
    if (!(Number.isFinite(threshold) && threshold > 0)) {
      problem(
        ['sli', 'latency', 'threshold'],
        `must be a finite number > 0 (an le bucket bound), got ${threshold}`
      );
    }
    try {
      const parsed = parseSloSelector(selector ?? '{}', { allowEmpty: true });
      for (const m of parsed.matchers) {
        if (m.name === METRIC_NAME_LABEL) {
          problem(
            ['sli', 'latency', 'selector'],
            `must not name a metric (the histogram is ${JSON.stringify(histogram)}; write only label matchers such as {job="checkout"})`
          );
        } else if (m.name === 'le') {
          problem(
            ['sli', 'latency', 'selector'],
            'must not match "le": the threshold picks the bucket'
          );
        }
      }
    } catch (err) {
      problem(['sli', 'latency', 'selector'], messageOf(err));
    }
  }
  const keptMs = retainedWindowMs(spec.window);
  alertWindowsOf(spec).forEach((w, i) => {
    const path = ['alerting', 'windows', i];
    if ((w.factor === undefined) === (w.budgetConsumed === undefined)) {
      problem(
        path,
        'set exactly one of budget_consumed (scaled with the SLO window) or factor (fixed)'
      );
    }
    if (w.factor !== undefined && !(w.factor > 0))
      problem([...path, 'factor'], `must be > 0, got ${w.factor}`);
    if (
      w.budgetConsumed !== undefined &&
      !(w.budgetConsumed > 0 && w.budgetConsumed <= 1)
    ) {
      problem(
        [...path, 'budget_consumed'],
        `must be in (0, 1] (0.02 = 2% of the budget), got ${w.budgetConsumed}`
      );
    }
    if (!(w.shortMs < w.longMs)) {
      problem(
        [...path, 'short'],
        `the short window ${formatDuration(w.shortMs)} must be shorter than the long window ${formatDuration(w.longMs)}`
      );
    }
    for (const [key, ms] of [
      ['long', w.longMs],
      ['short', w.shortMs],
    ] as const) {
      if (!(ms >= MIN_ALERT_WINDOW_MS)) {
        problem(
          [...path, key],
          `must be at least ${formatDuration(MIN_ALERT_WINDOW_MS)}, got ${formatDuration(ms)}`
        );
      } else if (ms > keptMs) {
        problem(
          [...path, key],
          `${formatDuration(ms)} is longer than fleetgate keeps for this SLO (${formatDuration(keptMs)}: the SLO window or 3d, whichever is longer)`
        );
      }
    }
  });
  if (spec.alerting?.windows?.length === 0) {
    problem(
      ['alerting', 'windows'],
      'give at least one pair, or leave alerting.windows out for the default table'
    );
  }
  return problems;
}

/** The formatted path and message of a problem, as check-config prints it. */
export function formatSloProblem(prefix: string, problem: SloProblem): string {
  let path = prefix;
  for (const part of problem.path)
    path += typeof part === 'number' ? `[${part}]` : `.${part}`;
  return `${path}: ${problem.message}`;
}

function inputsOf(spec: SloSpec): SloInput[] {
  const sli = spec.sli;
  if ('ratio' in sli) {
    const inputs: SloInput[] = [];
    const a = sli.ratio.bad ?? sli.ratio.good!;
    inputs.push({ channel: 0, selector: parseSloSelector(a), kind: 'counter' });
    inputs.push({
      channel: 1,
      selector: parseSloSelector(sli.ratio.total),
      kind: 'counter',
    });
    return inputs;
  }
  const { histogram, selector } = sli.latency;
  const base = parseSloSelector(selector ?? '{}', { allowEmpty: true });
  const bucket = `${histogram}_bucket`;
  const count = `${histogram}_count`;
  return [
    {
      channel: 0,
      selector: withMatchers(
        base,
        [equalityMatcher(METRIC_NAME_LABEL, bucket)],
        `${bucket}${base.text}`
      ),
      kind: 'bucket',
    },
    {
      channel: 1,
      selector: withMatchers(
        base,
        [equalityMatcher(METRIC_NAME_LABEL, count)],
        `${count}${base.text}`
      ),
      kind: 'counter',
    },
    {
      channel: 0,
      selector: withMatchers(
        base,
        [equalityMatcher(METRIC_NAME_LABEL, histogram)],
        `${histogram}${base.text}`
      ),
      kind: 'native',
    },
  ];
}

function alertWindowsOf(spec: SloSpec): readonly AlertWindowSpec[] {
  const windows = spec.alerting?.windows;
  if (windows === undefined || windows.length === 0)
    return DEFAULT_ALERT_WINDOWS;
  return windows.map(w => ({
    severity: w.severity,
    longMs: w.long,
    shortMs: w.short,
    budgetConsumed: w.budget_consumed,
    factor: w.factor,
  }));
}

function normalizeSli(spec: SloSpec): unknown {
  const sli = spec.sli;
  if ('ratio' in sli)
    return {
      ratio: {
        bad: sli.ratio.bad,
        good: sli.ratio.good,
        total: sli.ratio.total,
      },
    };
  return {
    latency: {
      histogram: sli.latency.histogram,
      threshold: sli.latency.threshold,
      selector: sli.latency.selector ?? '{}',
    },
  };
}

function messageOf(err: unknown): string {
  if (err instanceof SelectorSyntaxError) return err.message;
  return `cannot parse selector: ${(err as Error).message}`;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
