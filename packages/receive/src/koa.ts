import type { IncomingMessage } from "node:http";
import { METHODS } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import bodyParser from "koa-bodyparser";
import {
  type CoreResponse,
  createReceiveCore,
  emptyBody,
  type HandlerContext,
  invalidJson,
  type ReceiveCore,
  type ReceiveOptions,
} from "./core.ts";
import { bodyTooLarge, clip, HttpError } from "./errors.ts";

/** The Koa app every Node app serves; apps pass it to `listen`. */
export type ReceiveApp = Koa;

/** Set on an app's context by `answerWithConnectionClose`: the server is shutting down. */
const CLOSING = Symbol("dify-ext: closing");

/**
 * From now on every answer of the app says `Connection: close`, so keep-alive clients open a new
 * connection (to another replica) for their next call. `listen` calls it when shutting down.
 */
export function answerWithConnectionClose(app: Koa): void {
  (app.context as unknown as Record<symbol, boolean>)[CLOSING] = true;
}

/** The call of a request (request id, log fields), kept on `ctx.state` for every middleware after. */
function callOf(ctx: Koa.Context, core: ReceiveCore): HandlerContext {
  const state = ctx.state as { difyCall?: HandlerContext };
  state.difyCall ??= core.begin(ctx.get("x-request-id") || undefined);
  return state.difyCall;
}

/** Marks a context whose answer carries the API's headers already (`send`). */
const ANSWERED = Symbol("dify-ext: answered");

function send(ctx: Koa.Context, answer: CoreResponse): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
  (ctx as unknown as Record<symbol, boolean>)[ANSWERED] = true;
}

/**
 * Every Authorization header of the request, joined as fetch joins them (Node's `headers` keeps
 * only the first). Scans the raw header list: cheaper than `headersDistinct`, which copies them all.
 */
function authorizationOf(request: IncomingMessage): string | undefined {
  const raw = request.rawHeaders;
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    found = found === undefined ? raw[i + 1]! : `${found}, ${raw[i + 1]!}`;
  }
  return found;
}

/**
 * Reads and discards a body nobody read (an early 401, 404, 405, 415 or 429), up to `limit` bytes,
 * before the answer goes out: a client still uploading would otherwise see its connection reset
 * instead of the answer when Node closes it. Past the limit it stops and the connection closes.
 */
function drainUnreadBody(ctx: Koa.Context, limit: number): Promise<void> | undefined {
  const request = ctx.req;
  if (request.complete || request.readableFlowing !== null || request.destroyed) return undefined;
  if (Number(request.headers["content-length"] ?? 0) > limit) {
    ctx.set("connection", "close");
    return undefined;
  }
  return new Promise<void>((resolve) => {
    let size = 0;
    const done = () => {
      request.off("data", onData);
      request.off("end", done);
      request.off("error", done);
      request.off("close", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return;
      request.pause();
      ctx.set("connection", "close");
      done();
    };
    request.on("data", onData);
    request.once("end", done);
    request.once("error", done);
    request.once("close", done);
  });
}

/** The path of the request, or a 400 for a request target that is not one (`http://`, `http://[::1/x`). */
function checkRequestTarget(ctx: Koa.Context): void {
  let path: string | undefined;
  try {
    path = ctx.path;
  } catch {
    path = undefined;
  }
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new HttpError("bad_http", "the request target is not a path such as /api/dify/receive");
  }
}

/**
 * The error middleware, first in the chain: every answer carries the API's headers and request id;
 * any error becomes `{"error": {"message", "code"}}` with its status (the one 500 fallback lives in
 * `core.fail`); a request nothing answered is a 404, a known path with another method a 405 (the
 * router's `allowedMethods` sets the status and `Allow`); an unread body is drained before answering.
 */
export function errorMiddleware(core: ReceiveCore): Koa.Middleware {
  return async function answerErrors(ctx, next) {
    const call = callOf(ctx, core);
    try {
      checkRequestTarget(ctx);
      await next();
      if (ctx.body == null && ctx.status === 404) {
        throw core.notFound(ctx.method, ctx.path);
      }
      if (ctx.body == null && ctx.status === 405) {
        const allow = ctx.response.get("allow");
        throw new HttpError(
          "method_not_allowed",
          `method ${clip(ctx.method, 20)} is not allowed on ${clip(ctx.path, 100)}; use ${allow}`,
          {
            allow,
          },
        );
      }
    } catch (error) {
      send(ctx, core.fail(error, call));
    }
    // Routes of the app's own (not answered by `send`) get the API's headers too, unless they set their own.
    if (!(ctx as unknown as Record<symbol, boolean>)[ANSWERED]) {
      for (const [name, value] of Object.entries(core.headers(call.requestId))) {
        if (name !== "content-type" && !ctx.res.hasHeader(name)) ctx.set(name, value);
      }
    }
    const draining = drainUnreadBody(ctx, core.bodyLimit);
    if (draining) await draining;
    if ((ctx as unknown as Record<symbol, boolean>)[CLOSING]) ctx.set("connection", "close");
  };
}

/** Turns koa-bodyparser's (co-body's, raw-body's) errors into the service's own 4xx answers. */
function bodyError(error: unknown, limit: number): HttpError {
  const { type, body } = (error ?? {}) as { type?: string; body?: unknown };
  if (type === "entity.too.large") return bodyTooLarge(limit);
  if (type === "request.size.invalid")
    return new HttpError("invalid_body", "the body is shorter or longer than its Content-Length");
  if (type === "request.aborted")
    return new HttpError("request_aborted", "the client closed the request before sending the whole body");
  if (error instanceof SyntaxError && typeof body === "string") {
    if (body.trim() === "") return emptyBody();
    try {
      JSON.parse(body);
    } catch {
      return invalidJson();
    }
    // Valid JSON that strict mode refuses: a string, number, boolean or null at the top.
    return new HttpError("invalid_request", "body must be a JSON object");
  }
  throw error;
}

/**
 * The receive endpoint's middleware chain: access log and errors, key and type, JSON body, dispatch.
 * The explain endpoint takes the same chain, with the core's `explain` in place of `dispatch`.
 */
function receiveChain(core: ReceiveCore, route: "receive" | "explain" = "receive"): Koa.Middleware[] {
  async function difyCall(ctx: Koa.Context, next: Koa.Next) {
    const started = performance.now();
    const call = callOf(ctx, core);
    try {
      await next();
    } catch (error) {
      send(ctx, core.fail(error, call));
    }
    const draining = drainUnreadBody(ctx, core.bodyLimit);
    if (draining) await draining;
    const seconds = (performance.now() - started) / 1000;
    if (route === "explain") core.record(call, ctx.method, ctx.status, seconds, "explain");
    else core.record(call, ctx.method, ctx.status, seconds);
  }

  async function checkKeyAndType(ctx: Koa.Context, next: Koa.Next) {
    core.admit(
      {
        authorization: authorizationOf(ctx.req),
        contentType: ctx.get("content-type") || undefined,
        contentEncoding: ctx.get("content-encoding") || undefined,
      },
      callOf(ctx, core),
    );
    await next();
  }

  // co-body (under koa-bodyparser) takes a limit in bytes and `onProtoPoisoning`; the typings predate both.
  const options = {
    enableTypes: ["json"],
    extendTypes: { json: ["application/*+json"] },
    jsonLimit: core.bodyLimit,
    strict: true,
    // JSON.parse semantics: a `__proto__` key is an ordinary own property, kept and echoed back.
    onProtoPoisoning: "ignore",
    onerror(error: Error) {
      throw bodyError(error, core.bodyLimit);
    },
  };
  const jsonBody = bodyParser(options as unknown as bodyParser.Options);

  async function dispatch(ctx: Koa.Context, next: Koa.Next) {
    if (!/\S/.test(ctx.request.rawBody)) throw emptyBody();
    const call = callOf(ctx, core);
    const reply =
      route === "explain" ? await core.explain(ctx.request.body, call) : await core.dispatch(ctx.request.body, call);
    send(ctx, { status: 200, headers: core.headers(call.requestId), body: JSON.stringify(reply) });
    // Middleware an app adds after the router runs for this endpoint too (headers, logging).
    await next();
  }

  return [difyCall, checkKeyAndType, jsonBody, dispatch];
}

function routerFor(core: ReceiveCore): Router {
  // Exact paths, as Dify posts to exactly the URL the user typed; every method Node parses is known,
  // so any other method on a known path is a 405 rather than a 501.
  const router = new Router({ strict: true, sensitive: true, methods: [...METHODS] });
  for (const route of core.routes) {
    if (route.kind === "receive" || route.kind === "explain") {
      router.post(route.path, ...receiveChain(core, route.kind));
      continue;
    }
    if (route.kind === "page") {
      const { path } = route;
      router.get(path, async function servePage(ctx, next) {
        send(ctx, core.page(path, callOf(ctx, core)));
        await next();
      });
      continue;
    }
    const { kind } = route;
    router.get(route.path, async function serve(ctx, next) {
      send(ctx, await core.serve(kind, callOf(ctx, core), authorizationOf(ctx.req)));
      await next();
    });
  }
  return router;
}

/**
 * The receive endpoint (`POST /api/dify/receive`), `GET /healthz`, `GET /readyz` and (when metrics
 * are on) `GET /metrics` as an `@koa/router` router, to mount in a Koa app of your own:
 * `app.use(router.routes()).use(router.allowedMethods())`. The receive route answers its own errors
 * as JSON and writes the access log, so it works in any app. Throws at once on bad options.
 */
export function createReceiveRouter(options: ReceiveOptions): Router {
  return routerFor(createReceiveCore(options));
}

/**
 * A Koa app serving the receive endpoint: the error middleware first, then the router and its
 * `allowedMethods()` (405 with `Allow`). Middleware and routers added with `app.use` run after the
 * service's routes, for every request: they can add headers, log, or answer paths of their own.
 * Throws at once on bad options (e.g. a key shorter than 5 characters).
 */
export function createReceiveApp(options: ReceiveOptions): ReceiveApp {
  const core = createReceiveCore(options);
  const app = new Koa();
  // Errors are answered and logged by the error middleware; Koa's own stderr printing stays off.
  app.silent = true;
  const router = routerFor(core);
  app.use(errorMiddleware(core));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
