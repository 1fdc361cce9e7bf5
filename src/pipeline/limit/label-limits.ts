/**
 * Label hygiene limits, checked like Mimir's distributor validation
 * (PROTOCOLS.md §2.15) and vmagent's `-maxLabelsPerTimeseries`,
 * `-maxLabelNameLen`, `-maxLabelValueLen` (§2.13, step 3, before the
 * cardinality limiter):
 * - `max_label_names_per_series`: labels per series, `__name__` and the
 *   canonical cluster/region/env/team included (the downstream counts them too);
 * - `max_label_name_length`, `max_label_value_length`: UTF-8 bytes, as Go's
 *   `len()` measures them; the value limit also applies to the metric name.
 *
 * A series over a limit is a policy drop (STYLE rule 9): marked
 * `DropReason.LABEL_LIMIT`, tallied under its own reason, and the rest of
 * the request lands. Never an exception.
 */
import type { LimitsConfig } from '../../config/index.js';
import {
  DropReason,
  getLabel,
  metricNameOf,
  type SeriesBatch,
} from '../../model/index.js';
import { UNREGISTERED_CLUSTER } from '../normalize-labels.js';
import type { Stage, StageContext } from '../stage.js';
import { ClusterLimits, type EffectiveLimits } from './cluster-limits.js';

/** Tally reasons (the `reason` label of `fleetgate_series_dropped_total`). */
export const TOO_MANY_LABELS_REASON = 'too_many_labels';
export const LABEL_NAME_TOO_LONG_REASON = 'label_name_too_long';
export const LABEL_VALUE_TOO_LONG_REASON = 'label_value_too_long';

/** Longest text quoted in an explanation; label values can be kilobytes. */
const QUOTE_MAX_CHARS = 64;

/**
 * UTF-8 byte length of `text` compared to `limit` without encoding in the
 * common case: length ≤ bytes ≤ 3·length for UTF-16 text.
 */
function isOverBytes(text: string, limit: number): boolean {
  const length = text.length;
  if (length > limit) return true;
  if (length * 3 <= limit) return false;
  return Buffer.byteLength(text, 'utf8') > limit;
}

function quote(text: string): string {
  return JSON.stringify(
    text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}…` : text
  );
}

/** The label limits stage. Stateless: rebuild it on config reload. */
export class LabelLimits implements Stage {
  readonly name = 'label_limits';
  private readonly _limits: ClusterLimits;
  private readonly _isUnlimited: boolean;

  constructor(limits: LimitsConfig) {
    this._limits = new ClusterLimits(limits);
    let isUnlimited = isUnlimitedSet(this._limits.defaults);
    for (const cluster of this._limits.overriddenClusters()) {
      if (!isUnlimitedSet(this._limits.of(cluster))) isUnlimited = false;
    }
    this._isUnlimited = isUnlimited;
  }

  /** Whether no cluster has a label limit (then the stage can be left out). */
  get isUnlimited(): boolean {
    return this._isUnlimited;
  }

  process(batch: SeriesBatch, context: StageContext): void {
    if (this._isUnlimited) return;
    const identity = context.identity;
    // With a token every series is the token's cluster (normalize ran first).
    const fixed =
      identity.kind === 'cluster' ? identity.cluster.name : undefined;
    let lastCluster = '';
    let limits = this._limits.defaults;
    for (let s = 0; s < batch.seriesCount; s++) {
      if (batch.dropped[s] !== 0) continue;
      const labels = batch.labels[s]!;
      const cluster =
        fixed ?? getLabel(labels, 'cluster') ?? UNREGISTERED_CLUSTER;
      if (cluster !== lastCluster) {
        limits = this._limits.of(cluster);
        lastCluster = cluster;
      }
      const reason = this._check(labels, limits, cluster, context);
      if (reason === undefined) continue;
      batch.dropped[s] = DropReason.LABEL_LIMIT;
      context.tally.addDrop(cluster, reason, batch.pointsOf(s));
    }
  }

  /**
   * Returns the reason `labels` break a limit, or undefined. Records the
   * explanation in the tally the first time a reason occurs in a request
   * (later drops of the same reason build no string).
   */
  private _check(
    labels: readonly string[],
    limits: EffectiveLimits,
    cluster: string,
    context: StageContext
  ): string | undefined {
    const tally = context.tally;
    const maxNames = limits.maxLabelNamesPerSeries;
    const count = labels.length >>> 1;
    if (maxNames !== 0 && count > maxNames) {
      if (!tally.reasons.has(TOO_MANY_LABELS_REASON)) {
        tally.reasons.set(
          TOO_MANY_LABELS_REASON,
          `series of metric ${quote(metricNameOf(labels))} has ${count} labels, over max_label_names_per_series ${maxNames} of cluster ${quote(cluster)}`
        );
      }
      return TOO_MANY_LABELS_REASON;
    }
    const maxName = limits.maxLabelNameLength;
    const maxValue = limits.maxLabelValueLength;
    if (maxName === 0 && maxValue === 0) return undefined;
    for (let i = 0; i < labels.length; i += 2) {
      const name = labels[i]!;
      if (maxName !== 0 && isOverBytes(name, maxName)) {
        if (!tally.reasons.has(LABEL_NAME_TOO_LONG_REASON)) {
          tally.reasons.set(
            LABEL_NAME_TOO_LONG_REASON,
            `series of metric ${quote(metricNameOf(labels))} has label name ${quote(name)} of ${Buffer.byteLength(name, 'utf8')} bytes, over max_label_name_length ${maxName} of cluster ${quote(cluster)}`
          );
        }
        return LABEL_NAME_TOO_LONG_REASON;
      }
      const value = labels[i + 1]!;
      if (maxValue !== 0 && isOverBytes(value, maxValue)) {
        if (!tally.reasons.has(LABEL_VALUE_TOO_LONG_REASON)) {
          tally.reasons.set(
            LABEL_VALUE_TOO_LONG_REASON,
            `series of metric ${quote(metricNameOf(labels))} has a value of label ${quote(name)} of ${Buffer.byteLength(value, 'utf8')} bytes, over max_label_value_length ${maxValue} of cluster ${quote(cluster)}`
          );
        }
        return LABEL_VALUE_TOO_LONG_REASON;
      }
    }
    return undefined;
  }
}

function isUnlimitedSet(limits: EffectiveLimits): boolean {
  return (
    limits.maxLabelNamesPerSeries === 0 &&
    limits.maxLabelNameLength === 0 &&
    limits.maxLabelValueLength === 0
  );
}
