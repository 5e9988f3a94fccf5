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

/** What the service keeps on `ctx.state.dify` for one request. */
export interface DifyRequestState {
  /** The request's id, logger and access-log fields. */
  call: HandlerContext;
  /** When the request reached the service's first middleware (`performance.now()`). */
  started: number;
  /** The answer carries the API's headers already (`send`). */
  answered: boolean;
  /**
   * Set on a Dify call (the receive endpoint, or a `call` route at `path`): its access-log line and
   * metrics are written once it is answered.
   */
  recorded?: { path?: string };
}

declare module "koa" {
  interface DefaultState {
    dify?: DifyRequestState;
  }
  interface DefaultContext {
    /** Set by {@link answerWithConnectionClose}: the server is shutting down. */
    closingConnections?: boolean;
  }
}

/**
 * From now on every answer of the app says `Connection: close`, so keep-alive clients open a new
 * connection (to another replica) for their next call. `listen` calls it when shutting down.
 */
export function answerWithConnectionClose(app: Koa): void {
  app.context.closingConnections = true;
}

/** The request's state; the service's first middleware (`errorMiddleware`) has set it. */
function stateOf(ctx: Koa.Context): DifyRequestState {
  const { dify } = ctx.state;
  if (!dify) throw new Error("the receive routes run after errorMiddleware, which every route chain starts with");
  return dify;
}

function send(ctx: Koa.Context, answer: CoreResponse): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
  stateOf(ctx).answered = true;
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
 * The service's first middleware, and the one place that answers errors: it starts the request's
 * state (request id, log fields); any error becomes `{"error": {"message", "code"}}` with its status
 * (the one 500 fallback lives in `core.fail`); a request nothing answered is a 404, a known path
 * with another method a 405 (the router's `allowedMethods` sets the status and `Allow`); every
 * answer carries the API's headers; an unread body is drained before answering; and a Dify call's
 * access-log line and metrics are written once it is answered. Every route chain of the router
 * starts with it too, so the router works mounted in a Koa app of one's own; when the app already
 * runs it, the route's copy passes through.
 */
export function errorMiddleware(core: ReceiveCore): Koa.Middleware {
  return async function answerErrors(ctx, next) {
    if (ctx.state.dify) return next();
    const state: DifyRequestState = {
      call: core.begin(ctx.get("x-request-id") || undefined),
      started: performance.now(),
      answered: false,
    };
    ctx.state.dify = state;
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
          { allow },
        );
      }
    } catch (error) {
      send(ctx, core.fail(error, state.call));
    }
    // Routes of the app's own (not answered by `send`) get the API's headers too, unless they set their own.
    if (!state.answered) {
      for (const [name, value] of Object.entries(core.headers(state.call.requestId))) {
        if (name !== "content-type" && !ctx.res.hasHeader(name)) ctx.set(name, value);
      }
    }
    const draining = drainUnreadBody(ctx, core.bodyLimit);
    if (draining) await draining;
    if (ctx.closingConnections) ctx.set("connection", "close");
    if (state.recorded) {
      const seconds = (performance.now() - state.started) / 1000;
      core.record(state.call, ctx.method, ctx.status, seconds, state.recorded.path);
    }
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
 * A Dify call's middleware chain (the receive endpoint, or a `call` route at `path`): errors and
 * access log, key and type, JSON body, then the core's `dispatch` (or the route's handler).
 */
function callChain(core: ReceiveCore, answerErrors: Koa.Middleware, path?: string): Koa.Middleware[] {
  async function checkKeyAndType(ctx: Koa.Context, next: Koa.Next) {
    const state = stateOf(ctx);
    state.recorded = path === undefined ? {} : { path };
    const admitted = core.admit(
      {
        authorization: authorizationOf(ctx.req),
        contentType: ctx.get("content-type") || undefined,
        contentEncoding: ctx.get("content-encoding") || undefined,
      },
      state.call,
    );
    // A promise only with shared rate-limit buckets: the in-process check adds no await.
    if (admitted) await admitted;
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
    const { call } = stateOf(ctx);
    const body = ctx.request.body;
    const reply = path === undefined ? await core.dispatch(body, call) : await core.call(path, body, call);
    send(ctx, { status: 200, headers: core.headers(call.requestId), body: JSON.stringify(reply) });
    // Middleware an app adds after the router runs for this endpoint too (headers, logging).
    await next();
  }

  return [answerErrors, checkKeyAndType, jsonBody, dispatch];
}

function routerFor(core: ReceiveCore): Router {
  // Exact paths, as Dify posts to exactly the URL the user typed; every method Node parses is known,
  // so any other method on a known path is a 405 rather than a 501.
  const router = new Router({ strict: true, sensitive: true, methods: [...METHODS] });
  const answerErrors = errorMiddleware(core);
  for (const route of core.routes) {
    const { kind, path } = route;
    if (kind === "receive" || kind === "call") {
      router.post(path, ...callChain(core, answerErrors, kind === "call" ? path : undefined));
    } else if (kind === "asset") {
      router.get(path, answerErrors, async function serveAsset(ctx, next) {
        send(ctx, core.asset(path, stateOf(ctx).call));
        await next();
      });
    } else {
      router.get(path, answerErrors, async function serve(ctx, next) {
        send(ctx, await core.serve(kind, stateOf(ctx).call, authorizationOf(ctx.req)));
        await next();
      });
    }
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
