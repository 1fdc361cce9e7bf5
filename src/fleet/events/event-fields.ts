/**
 * Field rules shared by both receiver shapes: bounded text, the dedupe
 * version, and the first/last-seen pair.
 */
import {
  MAX_EVENT_FIELD_CHARS,
  MAX_EVENT_MESSAGE_CHARS,
} from './kubernetes-event.js';
import { isEventTimeMs } from './parse-kubernetes-time.js';

/** `text` cut to `max` UTF-16 units ('' for undefined). */
export function clipText(
  text: string | undefined,
  max: number = MAX_EVENT_FIELD_CHARS
): string {
  if (text === undefined) return '';
  return text.length <= max ? text : text.slice(0, max);
}

/** A message cut to MAX_EVENT_MESSAGE_CHARS. */
export function clipMessage(text: string | undefined): string {
  return clipText(text, MAX_EVENT_MESSAGE_CHARS);
}

/**
 * The dedupe version of one observation (KubernetesEvent.version): the
 * count when known (> 0), else the resourceVersion, else the last-seen time.
 */
export function eventVersion(
  count: number | undefined,
  resourceVersion: string | undefined,
  lastSeenMs: number
): string {
  if (count !== undefined && count > 0) return `count:${count}`;
  if (resourceVersion !== undefined && resourceVersion !== '')
    return `rv:${clipText(resourceVersion, 64)}`;
  return `time:${lastSeenMs}`;
}

/**
 * The first of `candidates` that is a plausible event time, or undefined.
 * Each candidate may be undefined or 0 (unset).
 */
export function firstTime(
  ...candidates: readonly (number | undefined)[]
): number | undefined {
  for (const ms of candidates) {
    if (ms !== undefined && isEventTimeMs(ms)) return ms;
  }
  return undefined;
}

/** The latest plausible time among `candidates`, or undefined. */
export function latestTime(
  ...candidates: readonly (number | undefined)[]
): number | undefined {
  let latest: number | undefined;
  for (const ms of candidates) {
    if (
      ms !== undefined &&
      isEventTimeMs(ms) &&
      (latest === undefined || ms > latest)
    )
      latest = ms;
  }
  return latest;
}
