import type { CoreResponse, ReceiveCore } from "./core.ts";
import { bodyTooLarge, clip, HttpError } from "./errors.ts";

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
    throw new HttpError("request_aborted", "the request body could not be read");
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder("utf-8").decode(bytes);
}

function toResponse(answer: CoreResponse, method: string): Response {
  return new Response(method === "HEAD" ? null : answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * The fetch adapter: serves the core's routes from a Web `Request`, as the Koa router does under
 * Node. Every rule lives in the core; this only finds the route and translates.
 */
export function createFetchHandler(core: ReceiveCore): FetchHandler {
  return async function handleFetch(request) {
    const context = core.begin(request.headers.get("x-request-id") ?? undefined);
    const { pathname } = new URL(request.url);
    const route = core.routes.find((candidate) => candidate.path === pathname);
    const method = request.method;
    if (!route) {
      return toResponse(core.fail(core.notFound(method, pathname), context), method);
    }
    if (method !== route.method && !(route.method === "GET" && method === "HEAD")) {
      const allow = route.method === "GET" ? "HEAD, GET" : route.method;
      const error = new HttpError(
        "method_not_allowed",
        `method ${clip(method, 20)} is not allowed on ${route.path}; use ${allow}`,
        { allow },
      );
      return toResponse(core.fail(error, context), method);
    }
    if (route.kind === "asset") return toResponse(core.asset(route.path, context), method);
    if (route.kind !== "receive" && route.kind !== "call") {
      const authorization = request.headers.get("authorization") ?? undefined;
      return toResponse(
        await core.serve(route.kind, context, authorization).catch((error) => core.fail(error, context)),
        method,
      );
    }
    const started = performance.now();
    let answer: CoreResponse;
    try {
      await core.admit(
        {
          authorization: request.headers.get("authorization") ?? undefined,
          contentType: request.headers.get("content-type") ?? undefined,
          contentEncoding: request.headers.get("content-encoding") ?? undefined,
        },
        context,
      );
      const body = core.parseJson(await readRequestBody(request, core.bodyLimit));
      const reply =
        route.kind === "call" ? await core.call(route.path, body, context) : await core.dispatch(body, context);
      answer = { status: 200, headers: core.headers(context.requestId), body: JSON.stringify(reply) };
    } catch (error) {
      answer = core.fail(error, context);
    }
    const seconds = (performance.now() - started) / 1000;
    core.record(context, method, answer.status, seconds, route.kind === "call" ? route.path : undefined);
    return toResponse(answer, method);
  };
}
