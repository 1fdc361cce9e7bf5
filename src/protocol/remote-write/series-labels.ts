/**
 * The label rules both remote write versions share (1.0 §labels, 2.0
 * §labels), applied to one series' raw `[name, value, …]` pairs as decoded.
 */
import { METRIC_NAME_LABEL, sortLabels } from '../../model/index.js';
import { describeSeries, writeRequestError } from './write-request-error.js';

/**
 * Turns decoded pairs into the series' label set, in place: drops labels
 * with an empty value (Prometheus treats them as absent), sorts by name when
 * the sender did not, and refuses empty names, repeated names and a missing
 * or empty metric name. Returns `labels`.
 *
 * Sortedness is checked pair by pair while compacting, so a sorted set (the
 * norm: senders MUST sort) costs one pass and no sort; duplicates can then
 * only sit next to each other and are looked for only after a sort.
 */
export function finishSeriesLabels(
  labels: string[],
  seriesIndex: number
): string[] {
  let kept = 0;
  let isSorted = true;
  let hasMetricName = false;
  let previous = '';
  for (let i = 0; i < labels.length; i += 2) {
    const name = labels[i]!;
    const value = labels[i + 1]!;
    if (name === '') {
      throw writeRequestError(
        `${describeSeries(seriesIndex, labels)}: label ${i / 2} has an empty name`
      );
    }
    if (value === '') continue;
    // `<=` also routes equal neighbours to the duplicate check below.
    if (kept !== 0 && name <= previous) isSorted = false;
    if (name === METRIC_NAME_LABEL) hasMetricName = true;
    labels[kept] = name;
    labels[kept + 1] = value;
    kept += 2;
    previous = name;
  }
  if (kept !== labels.length) labels.length = kept;
  if (!isSorted) {
    sortLabels(labels);
    for (let i = 2; i < labels.length; i += 2) {
      if (labels[i] === labels[i - 2]) {
        throw writeRequestError(
          `${describeSeries(seriesIndex, labels)}: duplicate label name ${JSON.stringify(labels[i])}`
        );
      }
    }
  }
  if (!hasMetricName) {
    throw writeRequestError(
      `${describeSeries(seriesIndex, labels)}: no metric name (label ${METRIC_NAME_LABEL} is missing or empty)`
    );
  }
  return labels;
}
