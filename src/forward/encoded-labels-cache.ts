/**
 * Encoded `TimeSeries.labels` fields per stable label array (see
 * SeriesBatch.stable): a series the gateway has seen before is re-encoded
 * from its cached bytes instead of from its strings. Keyed by the array's
 * identity through a WeakMap, so an entry lives exactly as long as the
 * decoder's series cache keeps the series. One cache serves every downstream.
 */
import { ProtobufWriter } from '../protocol/index.js';
import { encodeLabelFieldsV1 } from '../protocol/index.js';

export class EncodedLabelsCache {
  private readonly _bytes = new WeakMap<readonly string[], Uint8Array>();
  private readonly _scratch = new ProtobufWriter(4096);

  /** The encoded label fields of a stable label array, encoding them on first use. */
  labelFieldsOf(labels: readonly string[]): Uint8Array {
    let bytes = this._bytes.get(labels);
    if (bytes === undefined) {
      this._scratch.reset();
      encodeLabelFieldsV1(labels, this._scratch);
      // allocUnsafe draws small buffers from Node's shared pool: no ArrayBuffer per series.
      bytes = Buffer.allocUnsafe(this._scratch.pos);
      bytes.set(this._scratch.finish());
      this._bytes.set(labels, bytes);
    }
    return bytes;
  }
}
