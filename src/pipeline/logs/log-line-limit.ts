/**
 * The logs stage that refuses, one by one, records no downstream would
 * take (a body over `logs.max_line_bytes`; they come back to the sender as
 * OTLP partial success), and adds up the live volume per cluster for the
 * rate limit that follows.
 */
import {
  LogDropReason,
  type LogAnyValue,
  type LogBatch,
} from '../../model/index.js';
import { formatAnyValue } from '../../protocol/index.js';
import type { Stage } from '../stage.js';
import type { LogStageContext } from './log-stage-context.js';

export class LogLineLimit implements Stage<LogBatch, LogStageContext> {
  readonly name = 'line_length';
  private readonly _maxLineBytes: number;

  constructor(maxLineBytes: number) {
    this._maxLineBytes = maxLineBytes;
  }

  process(batch: LogBatch, context: LogStageContext): void {
    const { volumes, tooLong } = context;
    const { records, dropped } = batch;
    for (let i = 0; i < records.length; i++) {
      if (dropped[i] !== LogDropReason.NONE) continue;
      const record = records[i]!;
      const cluster = batch.resourceOf(record).cluster;
      const bytes = bodyBytes(record.body);
      if (bytes > this._maxLineBytes) {
        dropped[i] = LogDropReason.LINE_TOO_LONG;
        tooLong.set(cluster, (tooLong.get(cluster) ?? 0) + 1);
        continue;
      }
      let volume = volumes.get(cluster);
      if (volume === undefined) {
        volume = { records: 0, bytes: 0 };
        volumes.set(cluster, volume);
      }
      volume.records++;
      volume.bytes += bytes;
    }
  }
}

/** UTF-8 bytes of a body's text: what becomes the Loki line, and the rate-limited volume. */
function bodyBytes(body: LogAnyValue): number {
  if (body === null) return 0;
  return Buffer.byteLength(
    typeof body === 'string' ? body : formatAnyValue(body)
  );
}
