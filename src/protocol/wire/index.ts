export {
  ProtobufReader,
  WireType,
  decodeUtf8,
  readRepeatedScalar,
  RepeatedScalar,
} from './protobuf-reader.js';
export { ProtobufWriter } from './protobuf-writer.js';
export {
  snappyCompress,
  snappyUncompress,
  snappyDeclaredLength,
  SNAPPY_IMPLEMENTATION,
} from './snappy.js';
export {
  readBody,
  readCapped,
  gunzipCapped,
  type BodyLimits,
} from './read-body.js';
