import type { CoreRequest, CoreResponse, ReceiveCore } from "./core.ts";
import { bodyTooLarge, HttpError } from "./errors.ts";

/** A Web-standard fetch handler, as Cloudflare Workers (and Deno, Bun) call it. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Reads a Web `Request` body as UTF-8, stopping as soon as it passes `limit` bytes (a declared
 * Content-Length beyond the limit is refused before reading anything).
 */
export async function readRequestBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw bodyTooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "request_aborted", "the request body could not be read");
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder("utf-8").decode(bytes);
}

function toResponse(response: CoreResponse, method: string): Response {
  return new Response(method === "HEAD" ? null : response.body, { status: response.status, headers: response.headers });
}

/**
 * The fetch adapter: translates a Web `Request` for the framework-neutral core and its answer back
 * into a `Response`. Every rule lives in the core; this only translates.
 */
export function createFetchHandler(core: ReceiveCore): FetchHandler {
  return async function handleFetch(request) {
    const url = new URL(request.url);
    const coreRequest: CoreRequest = {
      method: request.method,
      path: url.pathname,
      header: (name) => request.headers.get(name) ?? undefined,
      readBody: (limit) => readRequestBody(request, limit),
    };
    return toResponse(await core.handle(coreRequest), request.method);
  };
}
