/**
 * What the logs pipeline's stages share besides the batch: the live volume
 * per canonical cluster (filled by the line-length stage, charged by the
 * rate limit, counted by the service) and the records refused for length.
 */
import type { StageContext } from '../stage.js';
import type { LogVolume } from './log-rate-limiter.js';

export interface LogStageContext extends StageContext {
  /** Cluster → records and body bytes that are still live. */
  readonly volumes: Map<string, LogVolume>;
  /** Cluster → records refused for a body over `logs.max_line_bytes`. */
  readonly tooLong: Map<string, number>;
}
