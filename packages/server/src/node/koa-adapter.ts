import type { IncomingMessage } from "node:http";
import Koa from "koa";
import getRawBody from "raw-body";
import { type CoreResponse, createReceiveCore, type ReceiveCore, type ReceiveOptions } from "../core.ts";
import { bodyTooLarge, errorBody, HttpError } from "../errors.ts";
import { type Logger, silentLogger } from "../logger.ts";

/** The Koa app the adapter builds; apps pass it to `listen`. */
export type ReceiveApp = Koa;

/** Reads a Node request body as UTF-8 with a byte limit, mapping failures to `HttpError`s. */
export async function readNodeBody(request: IncomingMessage, limit: number): Promise<string> {
  try {
    return await getRawBody(request, { limit, length: request.headers["content-length"], encoding: "utf-8" });
  } catch (error) {
    // Drain what is left, so the client reads our answer instead of a reset connection.
    request.resume();
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large") throw bodyTooLarge(limit);
    if (type === "request.size.invalid") {
      throw new HttpError(400, "invalid_body", "the body is shorter or longer than its Content-Length");
    }
    if (type === "request.aborted") throw new HttpError(400, "request_aborted", "the client closed the request before sending the whole body");
    throw error;
  }
}

/** Writes a core response to a Koa context. */
function send(ctx: Koa.Context, response: CoreResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

/**
 * The Koa adapter: a Koa app whose only job is to translate between Koa and the framework-neutral
 * core, which holds every rule of the receive endpoint.
 */
export function createKoaApp(core: ReceiveCore, logger: Logger = silentLogger): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(async function errorMiddleware(ctx, next) {
    try {
      await next();
    } catch (error) {
      logger.error({ err: error }, "unhandled error in the Koa adapter");
      ctx.status = 500;
      ctx.set("content-type", "application/json; charset=utf-8");
      ctx.body = errorBody("internal_error", "internal error");
    }
  });
  app.use(async function receive(ctx) {
    const response = await core.handle({
      method: ctx.method,
      path: ctx.path,
      header: (name) => {
        const value = ctx.req.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
      },
      readBody: (limit) => readNodeBody(ctx.req, limit),
    });
    send(ctx, response);
  });
  return app;
}

/**
 * `createReceiveApp`: the receive endpoint (`POST /api/dify/receive`) with auth, body limit,
 * validation and dispatch to the app's handlers, plus `GET /healthz` and `GET /readyz`, as a Koa app.
 * Throws at once on bad options (e.g. a key shorter than 5 characters).
 */
export function createReceiveApp(options: ReceiveOptions): Koa {
  return createKoaApp(createReceiveCore(options), options.logger);
}
