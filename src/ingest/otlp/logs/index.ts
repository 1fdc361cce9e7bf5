export { decodeLogsProtobuf } from './decode-logs-protobuf.js';
export { decodeLogsJson } from './decode-logs-json.js';
export {
  encodeResourceLogs,
  encodeExportLogsRequest,
} from './encode-logs-protobuf.js';
