import { createServer } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import type { AddressInfo } from "node:net";
import { outputOverride } from "@dify-ext/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { ReceiveOptions } from "../src/core.ts";
import { createReceiveApp, createReceiveRouter } from "../src/koa.ts";
import { receiveEndpointSuite } from "./receive.cases.ts";

/** A Koa app's callback on a plain HTTP server on loopback. */
async function serve(app: Koa) {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const running = {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(running);
  return running;
}

/** Koa alone: the app's own callback on a plain HTTP server, every route through Koa. */
async function startKoaOnly(options: ReceiveOptions) {
  const running = await serve(createReceiveApp(options));
  return { base: running.url, fetch: globalThis.fetch, close: running.close };
}

receiveEndpointSuite("Koa", startKoaOnly);

const KEY = "test-key-12345";
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("Koa's extension points", () => {
  it("runs middleware and routes an app adds with app.use, receive endpoint included", async () => {
    const app = createReceiveApp({ apiKeys: [KEY], handlers: {} });
    const seen: string[] = [];
    app.use(async function addHeader(ctx, next) {
      seen.push(`${ctx.method} ${ctx.path}`);
      ctx.set("x-added-by-app", "yes");
      await next();
    });
    const extra = new Router();
    extra.get("/hello", (ctx) => {
      ctx.body = { hello: "world" };
    });
    app.use(extra.routes());
    const running = await serve(app);

    const ping = await fetch(`${running.url}/api/dify/receive`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ point: "ping", params: {} }),
    });
    expect(await ping.text()).toBe('{"result":"pong"}');
    expect(ping.headers.get("x-added-by-app")).toBe("yes");
    const health = await fetch(`${running.url}/healthz`);
    expect(health.headers.get("x-added-by-app")).toBe("yes");
    const hello = await fetch(`${running.url}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: "world" });
    expect(hello.headers.get("x-content-type-options")).toBe("nosniff");
    const missing = await fetch(`${running.url}/missing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect(seen).toEqual(["POST /api/dify/receive", "GET /healthz", "GET /hello", "GET /missing"]);
  });

  it("mounts the receive router in a Koa app of one's own, after one's own middleware", async () => {
    const app = new Koa();
    app.use(async function cors(ctx, next) {
      ctx.set("access-control-allow-origin", "*");
      await next();
    });
    const router = createReceiveRouter({
      apiKeys: [KEY],
      handlers: { "app.moderation.output": (params) => outputOverride(params.text.toUpperCase()) },
    });
    app.use(router.routes()).use(router.allowedMethods());
    const base = (await serve(app)).url;
    {
      const post = (body: string, authorization = `Bearer ${KEY}`) =>
        fetch(`${base}/api/dify/receive`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization },
          body,
        });
      const ok = await post(JSON.stringify({ point: "app.moderation.output", params: { app_id: "a", text: "hi" } }));
      expect(await ok.json()).toEqual({ flagged: true, action: "overridden", text: "HI" });
      expect(ok.headers.get("access-control-allow-origin")).toBe("*");
      const denied = await post("{}", "Bearer nope-nope-nope");
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      const bad = await post("{oops");
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
      const get = await fetch(`${base}/api/dify/receive`);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
    }
  });
});
