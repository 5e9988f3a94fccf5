/**
 * The stack baseline of the HTTP benchmark: the bare stack every app is built on, Koa 3 with
 * `@koa/router` and `koa-bodyparser` (JSON only, strict), answering the same fixed JSON replies as
 * the plain `node:http` baseline after the same bearer-key check. No validation, no logging, no
 * metrics: what the apps add on top of it is what the benchmark measures.
 *
 * Env: `PORT`, `HOST`, `API_KEYS` (one key), `BASELINE_REPLIES` (JSON object: point → reply text).
 * Prints `{"msg":"listening","port":N}` like the apps, so the same launcher starts it.
 */
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import Router from "@koa/router";
import Koa from "koa";
import bodyParser from "koa-bodyparser";

const replies = new Map(Object.entries(JSON.parse(process.env.BASELINE_REPLIES ?? "{}") as Record<string, string>));
const expected = Buffer.from(`Bearer ${process.env.API_KEYS ?? ""}`);

const app = new Koa();
const router = new Router();
router.post(
  "/api/dify/receive",
  async (ctx, next) => {
    const auth = Buffer.from(ctx.get("authorization"));
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      ctx.status = 401;
      ctx.set("www-authenticate", "Bearer");
      ctx.body = { error: "unauthorized" };
      return;
    }
    await next();
  },
  bodyParser({ enableTypes: ["json"], strict: true }),
  (ctx) => {
    const reply = replies.get(String((ctx.request.body as { point?: unknown }).point));
    if (reply === undefined) {
      ctx.status = 400;
      ctx.body = { error: "bad request" };
      return;
    }
    ctx.type = "application/json";
    ctx.body = reply;
  },
);
app.use(router.routes()).use(router.allowedMethods());

const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  console.log(JSON.stringify({ msg: "listening", port: (server.address() as AddressInfo).port }));
});
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
