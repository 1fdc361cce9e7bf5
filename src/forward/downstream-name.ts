/**
 * The `downstream` label value and log field of a forwarding target.
 */

/**
 * The configured `name`, else the URL's host and path: never its userinfo or
 * query string, which may carry credentials.
 */
export function downstreamNameOf(target: {
  readonly url: string;
  readonly name?: string | undefined;
}): string {
  if (target.name !== undefined && target.name !== '') return target.name;
  const url = new URL(target.url);
  return `${url.host}${url.pathname}`;
}
