import Koa from "koa";
import { type CoreResponse, createReceiveCore, type ReceiveCore, type ReceiveOptions } from "../core.ts";
import { errorBody } from "../errors.ts";
import { type Logger, silentLogger } from "../logger.ts";
import { readNodeBody } from "./node-adapter.ts";

/** The core behind each app made by `createReceiveApp`, so `listen` can serve it directly. */
const cores = new WeakMap<Koa, { core: ReceiveCore; logger: Logger }>();

/** The receive core (and logger) of an app made by `createReceiveApp`, if it is one. */
export function receiveCoreOf(app: Koa): { core: ReceiveCore; logger: Logger } | undefined {
  return cores.get(app);
}

/** The Koa app the adapter builds; apps pass it to `listen`. */
export type ReceiveApp = Koa;

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
  const core = createReceiveCore(options);
  const logger = options.logger ?? silentLogger;
  const app = createKoaApp(core, logger);
  cores.set(app, { core, logger });
  return app;
}
