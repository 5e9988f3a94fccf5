/**
 * Every error code the service answers with, and its HTTP status: the one place a code is mapped to
 * a status. Dify shows the status and the first 100 characters of the body to its user.
 */
export const ERROR_STATUS = {
  bad_http: 400,
  invalid_json: 400,
  invalid_body: 400,
  invalid_request: 400,
  request_aborted: 400,
  unsupported_point: 400,
  too_many_inputs: 400,
  too_many_texts: 400,
  text_too_long: 400,
  too_deep: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  misconfigured: 500,
  service_unavailable: 503,
} as const satisfies Record<string, number>;

/** The closed set of error codes in `{"error": {"message", "code"}}`. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error answered to the client as `{"error": {"message", "code"}}` with its code's status. Its
 * message goes to the client, so it says what was wrong with the request and never carries secrets
 * or internals.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

/** The JSON error body. `message` comes first: Dify shows only the first 100 characters of it. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { message, code } });
}

export const bodyTooLarge = (limit: number) =>
  new HttpError("payload_too_large", `the body is larger than the limit of ${limit} bytes`, { connection: "close" });

/** Keeps a client-supplied string short enough for an error message or a log line. */
export function clip(value: string, length: number): string {
  return value.length <= length ? value : `${value.slice(0, length)}…`;
}
