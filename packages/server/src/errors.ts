/**
 * An error answered to the client as `{"error": {"message", "code"}}` with this status. Its message
 * goes to the client, so it says what was wrong with the request and never carries secrets or
 * internals.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The JSON error body. `message` comes first: Dify shows only the first 100 characters of it. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { message, code } });
}

export const bodyTooLarge = (limit: number) =>
  new HttpError(413, "payload_too_large", `the body is larger than the limit of ${limit} bytes`, {
    connection: "close",
  });
