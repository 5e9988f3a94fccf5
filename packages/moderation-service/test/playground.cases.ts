import { PLAYGROUND_PATHS } from "@dify-ext/playground/paths";
import { type ExplainRequest, inputPass, outputPass } from "@dify-ext/protocol";
import type { ReceiveOptions } from "@dify-ext/receive";
import type { StartTransport, Transport } from "@dify-ext/receive/contract";
import { afterEach, describe, expect, it } from "vitest";
import { playgroundRoutes } from "../src/playground.ts";

const EXPLAIN_PATH = PLAYGROUND_PATHS.explain;

/**
 * The playground's routes (the page and the explain endpoint) added to the receive endpoint, as one
 * suite run through each adapter like the receive endpoint's. The explain given here answers what
 * it was asked, so the cases check what the routes validate and pass on; the explain tests run the
 * real policy behind it.
 */

const KEY = "playground-key-123";
const PAGE = { html: "<!doctype html><title>p</title>", script: "console.log(1)", style: "body{}" };

export function playgroundSuite(adapter: string, startTransport: StartTransport): void {
  const servers: Transport[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function start(overrides: Partial<ReceiveOptions> = {}) {
    const asked: ExplainRequest[] = [];
    const transport = await startTransport({
      apiKeys: [KEY],
      handlers: {
        "app.moderation.input": () => inputPass(),
        "app.moderation.output": () => outputPass(),
      },
      extraRoutes: playgroundRoutes(async (request, context) => {
        asked.push(request);
        context.logFields.verdict = "pass";
        return { explained: request.point };
      }, PAGE),
      ...overrides,
    });
    servers.push(transport);
    const explain = (body: unknown, headers: Record<string, string> = {}) =>
      transport.fetch(`${transport.base}${EXPLAIN_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    return { transport, explain, asked };
  }

  async function refused(response: Response, status: number, code: string, message: RegExp) {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
  }

  describe(`the playground routes (${adapter})`, () => {
    it("serves the page and its assets without a key, each with a strict Content-Security-Policy", async () => {
      const { transport } = await start();
      for (const [path, type, body] of [
        [PLAYGROUND_PATHS.html, "text/html", PAGE.html],
        [PLAYGROUND_PATHS.script, "text/javascript", PAGE.script],
        [PLAYGROUND_PATHS.style, "text/css", PAGE.style],
      ] as const) {
        const response = await transport.fetch(`${transport.base}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(`${type}; charset=utf-8`);
        const csp = response.headers.get("content-security-policy") ?? "";
        expect(csp).toContain("default-src 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain("unsafe-inline");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-frame-options")).toBe("DENY");
        expect(response.headers.get("referrer-policy")).toBe("no-referrer");
        expect(response.headers.get("cache-control")).toBe("no-store");
        expect(await response.text()).toBe(body);
      }
    });

    it("passes a valid call on, app_id and all, as Dify would send it", async () => {
      const { explain, asked } = await start();
      const input = { app_id: "app-7", inputs: { topic: "x" }, query: "hello" };
      const response = await explain({ point: "app.moderation.input", params: input });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ explained: "app.moderation.input" });
      await explain({ point: "app.moderation.output", params: { app_id: "app-8", text: "t" }, mode: "streamed" });
      await explain({ point: "app.moderation.output", params: { text: "t" }, mode: "streamed", buffer_size: 50 });
      expect(asked).toEqual([
        { point: "app.moderation.input", params: input, mode: "single" },
        { point: "app.moderation.output", params: { app_id: "app-8", text: "t" }, mode: "streamed", bufferSize: 300 },
        { point: "app.moderation.output", params: { text: "t" }, mode: "streamed", bufferSize: 50 },
      ]);
    });

    it("takes the same key as the receive endpoint: 401 with WWW-Authenticate without it", async () => {
      const { explain, asked } = await start();
      const call = { point: "app.moderation.output", params: { text: "t" } };
      for (const headers of [{ authorization: "" }, { authorization: "Bearer wrong-key-000" }]) {
        const response = await explain(call, headers);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        await refused(response, 401, "unauthorized", /key/);
      }
      expect(asked).toEqual([]);
    });

    it("names what is wrong with a bad call", async () => {
      const { explain, asked } = await start();
      const cases: Array<[unknown, string, RegExp]> = [
        ["[1]", "invalid_request", /body must be a JSON object/],
        ["{", "invalid_json", /not valid JSON/],
        [{ point: "app.moderation.output", params: { text: "t" }, extra: 1 }, "invalid_request", /unknown field extra/],
        [{ params: { text: "t" } }, "invalid_request", /^point: required/],
        [{ point: "app.moderation.output" }, "invalid_request", /^params: required/],
        [{ point: "app.moderation.output", params: {} }, "invalid_request", /^params\.text: required/],
        [{ point: "app.moderation.input", params: { query: 3 } }, "invalid_request", /^params\.query/],
        [{ point: "ping", params: {} }, "unsupported_point", /playground explains: app\.moderation\.input/],
        [{ point: "app.moderation.output", params: { text: "t" }, mode: "fast" }, "invalid_request", /^mode: /],
        [{ point: "app.moderation.input", params: { query: "q" }, mode: "streamed" }, "invalid_request", /^mode: /],
        [{ point: "app.moderation.output", params: { text: "t" }, buffer_size: 10 }, "invalid_request", /buffer_size/],
        [
          { point: "app.moderation.output", params: { text: "t" }, mode: "streamed", buffer_size: "300" },
          "invalid_request",
          /^buffer_size: expected a whole number/,
        ],
      ];
      for (const [body, code, message] of cases) await refused(await explain(body), 400, code, message);
      expect(asked).toEqual([]);
    });

    it("applies the receive endpoint's limits", async () => {
      const { explain, asked } = await start({ limits: { maxTextLength: 10 }, bodyLimit: 2048 });
      await refused(
        await explain({ point: "app.moderation.output", params: { text: "x".repeat(11) } }),
        400,
        "text_too_long",
        /params\.text is 11 characters long; the limit is 10 \(MAX_TEXT_LENGTH\)/,
      );
      const big = await explain({ point: "app.moderation.output", params: { text: "x".repeat(4096) } });
      expect(big.status).toBe(413);
      expect(asked).toEqual([]);
    });

    it("is not served without the playground option, and the page not without a page", async () => {
      const off = await start({ extraRoutes: undefined });
      expect((await off.transport.fetch(`${off.transport.base}${PLAYGROUND_PATHS.html}`)).status).toBe(404);
      await refused(
        await off.explain({ point: "app.moderation.output", params: { text: "t" } }),
        404,
        "not_found",
        /no route/,
      );
      const explainOnly = await start({ extraRoutes: playgroundRoutes(async () => ({})) });
      expect((await explainOnly.transport.fetch(`${explainOnly.transport.base}${PLAYGROUND_PATHS.html}`)).status).toBe(
        404,
      );
      expect((await explainOnly.explain({ point: "app.moderation.output", params: { text: "t" } })).status).toBe(200);
    });

    it("answers a GET on the explain endpoint with 405", async () => {
      const { transport } = await start();
      const response = await transport.fetch(`${transport.base}${EXPLAIN_PATH}`);
      expect(response.status).toBe(405);
    });
  });
}
