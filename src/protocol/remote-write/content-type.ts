/**
 * Picks the remote write schema from the request's Content-Type, as 2.0
 * requires of receivers (2.0 §content type): `application/x-protobuf` alone
 * means 1.0, and its `proto` parameter names the message. Anything else is
 * refused with 415 so that a 2.0 sender can fall back to 1.0.
 */
import { UnsupportedMediaTypeError } from '../../errors.js';

export type RemoteWriteVersion = 'v1' | 'v2';

const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';
const V1_MESSAGE = 'prometheus.WriteRequest';
const V2_MESSAGE = 'io.prometheus.write.v2.Request';

/** The Content-Type a sender of each version sets (forwarding uses these). */
export const REMOTE_WRITE_CONTENT_TYPES: Readonly<
  Record<RemoteWriteVersion, string>
> = {
  v1: `${PROTOBUF_MEDIA_TYPE};proto=${V1_MESSAGE}`,
  v2: `${PROTOBUF_MEDIA_TYPE};proto=${V2_MESSAGE}`,
};

const ACCEPTED = `${PROTOBUF_MEDIA_TYPE} (remote write 1.0), ${REMOTE_WRITE_CONTENT_TYPES.v1} or ${REMOTE_WRITE_CONTENT_TYPES.v2}`;
const MAX_QUOTED_CHARS = 128;

/**
 * The remote write version a Content-Type header selects. A missing header
 * means 1.0 (1.x senders predate the parameter). Media type and parameter
 * names are matched case-insensitively, whitespace around `;` and `=` is
 * ignored, the proto value may be quoted, other parameters are ignored.
 *
 * @throws UnsupportedMediaTypeError (415) for another media type or an
 *   unknown proto message, naming what was received and what is accepted.
 */
export function remoteWriteVersionOf(
  contentType: string | undefined
): RemoteWriteVersion {
  if (contentType === undefined || contentType.trim() === '') return 'v1';
  const parts = contentType.split(';');
  if (parts[0]!.trim().toLowerCase() !== PROTOBUF_MEDIA_TYPE)
    throw unsupported(contentType);
  let version: RemoteWriteVersion = 'v1';
  let proto: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    if (part.slice(0, equals).trim().toLowerCase() !== 'proto') continue;
    const value = unquote(part.slice(equals + 1).trim()).toLowerCase();
    let named: RemoteWriteVersion;
    if (value === V1_MESSAGE.toLowerCase()) named = 'v1';
    else if (value === V2_MESSAGE.toLowerCase()) named = 'v2';
    else throw unsupported(contentType);
    // Two proto parameters that disagree leave the schema ambiguous.
    if (proto !== undefined && named !== version)
      throw unsupported(contentType);
    proto = value;
    version = named;
  }
  return version;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1).trim()
    : value;
}

function unsupported(contentType: string): UnsupportedMediaTypeError {
  const shown =
    contentType.length > MAX_QUOTED_CHARS
      ? `${contentType.slice(0, MAX_QUOTED_CHARS)}…`
      : contentType;
  return new UnsupportedMediaTypeError(
    `cannot accept content type ${JSON.stringify(shown)}: remote write accepts ${ACCEPTED}`
  );
}
