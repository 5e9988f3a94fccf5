import { describe, expect, it } from "vitest";
import { createReceiveCore, type ReceiveOptions } from "../src/core.ts";
import { createFetchHandler } from "../src/fetch-adapter.ts";
import { receiveEndpointSuite } from "./receive.cases.ts";

const BASE = "http://worker.test";

/** The fetch adapter, called directly with Web `Request`s, as a Worker runtime calls it. */
async function startFetch(options: ReceiveOptions) {
  const handler = createFetchHandler(createReceiveCore(options));
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) =>
    handler(new Request(input, init))) as typeof fetch;
  return { base: BASE, fetch: fetcher, close: async () => {} };
}

receiveEndpointSuite("fetch", startFetch);

describe("the fetch adapter", () => {
  const handler = createFetchHandler(createReceiveCore({ apiKeys: ["fetch-key-123"], handlers: {}, bodyLimit: 64 }));
  const auth = { authorization: "Bearer fetch-key-123", "content-type": "application/json" };

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const response = await handler(
      new Request(`${BASE}/api/dify/receive`, {
        method: "POST",
        headers: { ...auth, "content-length": "100000" },
        body: "{}",
      }),
    );
    expect(response.status).toBe(413);
  });

  it("stops reading a streamed body past the limit", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode("x".repeat(32)));
        if (pulled > 1000) controller.close();
      },
    });
    const response = await handler(
      new Request(`${BASE}/api/dify/receive`, { method: "POST", headers: auth, body, duplex: "half" } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ point: "ping", params: { note: "傻逼😀" } }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const big = createFetchHandler(createReceiveCore({ apiKeys: ["fetch-key-123"], handlers: {} }));
    const response = await big(
      new Request(`${BASE}/api/dify/receive`, { method: "POST", headers: auth, body, duplex: "half" } as RequestInit),
    );
    expect(await response.text()).toBe('{"result":"pong"}');
  });
});
