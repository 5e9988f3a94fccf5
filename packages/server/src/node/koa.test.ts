import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { outputOverride } from "@dify-ext/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { ReceiveOptions } from "../core.ts";
import { receiveEndpointSuite } from "../receive.cases.ts";
import { silentLogger } from "../logger.ts";
import { createReceiveApp } from "./koa-adapter.ts";
import { listen, type RunningServer } from "./listen.ts";

/** Koa alone: the app's own callback on a plain HTTP server, every route through Koa. */
async function startKoaOnly(options: ReceiveOptions) {
  const server = createServer(createReceiveApp(options).callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    fetch: globalThis.fetch,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

receiveEndpointSuite("Koa", startKoaOnly);

/** What apps run: `listen`, where the receive endpoint takes the Node adapter and the rest Koa. */
async function startKoa(options: ReceiveOptions) {
  const running = await listen(createReceiveApp(options), {
    port: 0,
    host: "127.0.0.1",
    logger: options.logger ?? silentLogger,
    handleSignals: false,
  });
  return { base: running.url, fetch: globalThis.fetch, close: () => running.close(), running };
}

receiveEndpointSuite("Node (listen)", startKoa);

const KEY = "test-key-12345";
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(overrides: Partial<ReceiveOptions> = {}) {
  const { running } = await startKoa({ apiKeys: [KEY], handlers: {}, ...overrides });
  servers.push(running);
  const url = `${running.url}/api/dify/receive`;
  const post = (target: string, body: unknown) =>
    fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
  return { running, url, post };
}

describe("the Koa adapter under Node", () => {
    it("answers 413 for a chunked body without Content-Length", async () => {
      const { running } = await start({ bodyLimit: 1024 });
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          {
            host: "127.0.0.1",
            port: running.port,
            path: "/api/dify/receive",
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, "transfer-encoding": "chunked" },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on("error", reject);
        for (let i = 0; i < 8; i++) request.write("x".repeat(512));
        request.end();
      });
      expect(status).toBe(413);
    });
  it("lets an in-flight request finish when closing", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { running, url, post } = await start({
      handlers: {
        "app.moderation.output": async (params) => {
          await gate;
          return outputOverride(params.text);
        },
      },
    });
    const pending = post(url, { point: "app.moderation.output", params: { text: "slow" } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = running.close();
    setTimeout(release, 50);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ flagged: true, action: "overridden", text: "slow" });
    await closed;
  });
});
