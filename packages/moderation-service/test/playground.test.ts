import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createFetchHandler, createReceiveCore, type ReceiveOptions } from "@dify-ext/receive";
import { createReceiveApp } from "@dify-ext/receive/koa";
import { playgroundSuite } from "./playground.cases.ts";

/** The Koa app's callback on a plain HTTP server on loopback. */
async function startKoa(options: ReceiveOptions) {
  const server = createServer(createReceiveApp(options).callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fetch: globalThis.fetch,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The fetch handler called directly, as a Worker is. */
async function startFetch(options: ReceiveOptions) {
  const handler = createFetchHandler(createReceiveCore(options));
  const fetchIt = ((input: string | URL | Request, init?: RequestInit) =>
    handler(new Request(input, init))) as typeof fetch;
  return { base: "http://worker.test", fetch: fetchIt, close: async () => {} };
}

playgroundSuite("Koa", startKoa);
playgroundSuite("fetch", startFetch);
