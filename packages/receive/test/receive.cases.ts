import { inputBlock, inputPass, outputOverride } from "@dify-ext/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger, ReceiveOptions, RequestRecord } from "../src/index.ts";

/**
 * The receive endpoint's behaviour, as one suite run through each adapter (Koa over real HTTP, and
 * the Web fetch handler): every rule lives once in the core, so both must pass the same cases.
 */

/** How a suite reaches a server: a base URL and the `fetch` that reaches it. */
export interface Transport {
  base: string;
  fetch: typeof fetch;
  close(): Promise<void>;
}

/** Builds a server with these options behind one adapter. */
export type StartTransport = (options: ReceiveOptions) => Promise<Transport>;

const KEY = "test-key-12345";
const servers: Transport[] = [];

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message?: string;
}

function memoryLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      lines.push({ level, fields: { ...bindings, ...fields }, message });
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    fatal: at("fatal"),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }),
  };
}

export function receiveEndpointSuite(adapter: string, startTransport: StartTransport): void {
  async function start(overrides: Partial<ReceiveOptions> = {}) {
    const lines: LogLine[] = [];
    const logger = memoryLogger(lines);
    const running = await startTransport({
      apiKeys: [KEY, "rotated-key-67890"],
      handlers: {
        "app.moderation.input": (params) => (params.query.includes("bad") ? inputBlock("blocked") : inputPass()),
        "app.moderation.output": (params) => outputOverride(params.text.toUpperCase()),
      },
      logger,
      ...overrides,
    });
    servers.push(running);
    const url = `${running.base}/api/dify/receive`;
    const post = (target: string, body: unknown, headers: Record<string, string> = {}) =>
      running.fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    return { running, url, lines, post, fetch: running.fetch };
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  describe(`the receive endpoint through the ${adapter} adapter`, () => {
    it('answers ping with exactly {"result":"pong"}', async () => {
      const { url, post } = await start();
      const response = await post(url, { point: "ping", params: {} });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.text()).toBe('{"result":"pong"}');
    });

    it("dispatches each point to its handler with validated params", async () => {
      const { url, post } = await start();
      const input = await post(url, {
        point: "app.moderation.input",
        params: { app_id: "a", inputs: {}, query: "a bad word" },
      });
      expect(await input.json()).toEqual({ flagged: true, action: "direct_output", preset_response: "blocked" });
      const output = await post(url, { point: "app.moderation.output", params: { app_id: "a", text: "hello" } });
      expect(await output.json()).toEqual({ flagged: true, action: "overridden", text: "HELLO" });
    });

    it("reads a null query as an empty string", async () => {
      const { url, post } = await start();
      const response = await post(url, {
        point: "app.moderation.input",
        params: { app_id: "a", inputs: {}, query: null },
      });
      expect(await response.json()).toEqual({ flagged: false, action: "direct_output" });
    });

    describe("auth", () => {
      it("rejects a missing header with 401, WWW-Authenticate: Bearer and a JSON error", async () => {
        const { url, fetch } = await start();
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ point: "ping", params: {} }),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
        expect(await response.json()).toEqual({
          error: { code: "unauthorized", message: expect.stringContaining("Authorization") },
        });
      });

      it("rejects a wrong key and another scheme", async () => {
        const { url, post } = await start();
        for (const authorization of ["Bearer wrong-key-00000", `Basic ${KEY}`, KEY]) {
          const response = await post(url, { point: "ping", params: {} }, { authorization });
          expect(response.status).toBe(401);
          const text = await response.text();
          expect(text).not.toContain(KEY);
        }
      });

      it("accepts the second, rotated key", async () => {
        const { url, post } = await start();
        const response = await post(url, { point: "ping", params: {} }, { authorization: "Bearer rotated-key-67890" });
        expect(response.status).toBe(200);
      });

      it("checks the key before the body, so a wrong key fails Dify's save even with a bad body", async () => {
        const { url, post } = await start();
        const response = await post(url, "{not json", { authorization: "Bearer nope-nope" });
        expect(response.status).toBe(401);
      });

      it("refuses to start with a key shorter than 5 characters", async () => {
        await expect(startTransport({ apiKeys: ["abcd"], handlers: {} })).rejects.toThrow(/at least 5/);
      });

      it("never logs the key", async () => {
        const { url, lines, post } = await start();
        await post(url, { point: "ping", params: {} });
        await post(url, { point: "ping", params: {} }, { authorization: "Bearer wrong-key-00000" });
        const logged = JSON.stringify(lines);
        expect(logged).not.toContain(KEY);
        expect(logged).not.toContain("wrong-key-00000");
        expect(lines.filter((line) => line.message === "request")).toHaveLength(2);
      });
    });

    describe("bad requests", () => {
      it("answers invalid JSON with 400 and a JSON error", async () => {
        const { url, post } = await start();
        const response = await post(url, '{"point": "ping",');
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({
          error: { code: "invalid_json", message: "the body is not valid JSON" },
        });
      });

      it("names the bad field", async () => {
        const { url, post } = await start();
        const cases: Array<[unknown, RegExp]> = [
          [[1, 2], /body must be a JSON object, got array/],
          [{ params: {} }, /^point: required/],
          [{ point: 7, params: {} }, /^point: expected a string, got number/],
          [{ point: "app.moderation.input" }, /^params: required/],
          [
            { point: "app.moderation.input", params: { inputs: "x", query: "" } },
            /^params\.inputs: expected an object, got string/,
          ],
          [
            { point: "app.moderation.input", params: { inputs: {}, query: 5 } },
            /^params\.query: expected a string, got number/,
          ],
          [{ point: "app.moderation.output", params: { app_id: "a" } }, /^params\.text: required, expected a string/],
        ];
        for (const [body, message] of cases) {
          const response = await post(url, body);
          expect(response.status).toBe(400);
          const { error } = (await response.json()) as { error: { code: string; message: string } };
          expect(error.message).toMatch(message);
        }
      });

      it("lists the supported points for an unknown or unsupported point", async () => {
        const { url, post } = await start();
        const unknown = await post(url, { point: "app.moderation.everything", params: {} });
        expect(unknown.status).toBe(400);
        const unknownBody = (await unknown.json()) as { error: { code: string; message: string } };
        expect(unknownBody.error.code).toBe("unsupported_point");
        expect(unknownBody.error.message).toContain("ping, app.moderation.input, app.moderation.output");
        const unsupported = await post(url, {
          point: "app.external_data_tool.query",
          params: { tool_variable: "w", inputs: {}, query: "" },
        });
        expect(unsupported.status).toBe(400);
        expect(((await unsupported.json()) as { error: { message: string } }).error.message).toMatch(
          /is not served here/,
        );
      });

      it("answers an oversized body with 413 and a readable answer, not a reset", async () => {
        const { url, post } = await start({ bodyLimit: 1024 });
        const response = await post(url, { point: "ping", params: { padding: "x".repeat(4096) } });
        expect(response.status).toBe(413);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
      });

      it("answers a wrong content type or a compressed body with 415", async () => {
        const { url, post } = await start();
        const text = await post(url, JSON.stringify({ point: "ping", params: {} }), { "content-type": "text/plain" });
        expect(text.status).toBe(415);
        const gzip = await post(url, JSON.stringify({ point: "ping", params: {} }), { "content-encoding": "gzip" });
        expect(gzip.status).toBe(415);
      });

      it("answers points named like Object.prototype members as unknown points, not a 500", async () => {
        const { url, post } = await start();
        for (const point of ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"]) {
          const response = await post(url, { point, params: {} });
          expect(response.status, point).toBe(400);
          const { error } = (await response.json()) as { error: { code: string; message: string } };
          expect(error.code).toBe("unsupported_point");
          expect(error.message).toContain("this service answers: ping");
        }
      });

      it("keeps client-sized strings out of the log: a 900 KB unknown point makes a short line", async () => {
        const { url, lines, post } = await start();
        const response = await post(url, { point: "x".repeat(900_000), params: {} });
        expect(response.status).toBe(400);
        expect((await response.text()).length).toBeLessThan(500);
        const line = lines.find((entry) => entry.message === "request");
        expect(line).toBeDefined();
        expect(JSON.stringify(line).length).toBeLessThan(1000);
      });

      it("refuses two Authorization headers the same way on every runtime", async () => {
        const { url, fetch } = await start();
        const headers = new Headers({ "content-type": "application/json" });
        headers.append("authorization", `Bearer ${KEY}`);
        headers.append("authorization", "Bearer rotated-key-67890");
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({ point: "ping", params: {} }),
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
          /exactly one Authorization header/,
        );
      });

      it("answers a JSON value that is not an object with 400", async () => {
        const { url, post } = await start();
        for (const body of ["null", "7", '"ping"', "true"]) {
          const response = await post(url, body);
          expect(response.status, body).toBe(400);
          expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
            /body must be a JSON object/,
          );
        }
        const empty = await post(url, "  ");
        expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/the body is empty/);
      });

      it("answers other paths with 404 and other methods with 405", async () => {
        const { running, url, fetch } = await start();
        expect((await fetch(`${running.base}/nope`)).status).toBe(404);
        const get = await fetch(url);
        expect(get.status).toBe(405);
        expect(get.headers.get("allow")).toBe("POST");
      });
    });

    it("answers a failing handler with a generic 500 and logs the detail", async () => {
      const { url, lines, post } = await start({
        handlers: {
          "app.moderation.output": () => {
            throw new Error("secret internals at /srv/app.ts:42");
          },
        },
      });
      const response = await post(url, { point: "app.moderation.output", params: { text: "x" } });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain("secret internals");
      expect(JSON.parse(text).error.code).toBe("internal_error");
      expect(
        lines.some(
          (line) => line.level === "error" && String((line.fields.err as Error)?.message).includes("secret internals"),
        ),
      ).toBe(true);
    });

    it("serves /healthz without a key and echoes the request id", async () => {
      const { running, fetch } = await start();
      const response = await fetch(`${running.base}/healthz`, { headers: { "x-request-id": "abc-123" } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
      expect(response.headers.get("x-request-id")).toBe("abc-123");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    });

    it("reports readiness on /readyz", async () => {
      let ready: true | string = "lists not loaded";
      const { running, fetch } = await start({ readiness: () => ready });
      expect((await fetch(`${running.base}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${running.base}/readyz`)).status).toBe(200);
    });

    it("adds the ready detail to /readyz, ready or not, without changing the status", async () => {
      let ready: true | string = true;
      const { running, fetch } = await start({
        readiness: () => ready,
        readyDetail: () => ({ sharedState: { state: "down", store: "redis://valkey:6379/0" } }),
      });
      const up = await fetch(`${running.base}/readyz`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({
        status: "ready",
        sharedState: { state: "down", store: "redis://valkey:6379/0" },
      });
      ready = "lists not loaded";
      const down = await fetch(`${running.base}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: "not ready", reason: "lists not loaded", sharedState: {} });
    });

    describe("limits", () => {
      it("answers too many inputs, too long a text and too deep a value with 400 naming the limit", async () => {
        const { url, post } = await start({ limits: { maxInputs: 3, maxTextLength: 10, maxDepth: 4 } });
        const cases: Array<[unknown, string, RegExp]> = [
          [{ inputs: { a: 1, b: 2, c: 3, d: 4 }, query: "" }, "too_many_inputs", /4 variables; the limit is 3/],
          [
            { inputs: {}, query: "x".repeat(11) },
            "text_too_long",
            /params\.query is 11 characters long; the limit is 10/,
          ],
          [{ inputs: { list: ["ok", "y".repeat(20)] }, query: "" }, "text_too_long", /params\.inputs\.list/],
          [
            { inputs: { deep: { a: { b: { c: { d: { e: 1 } } } } } }, query: "" },
            "too_deep",
            /deeper than the limit of 4/,
          ],
        ];
        for (const [params, code, message] of cases) {
          const response = await post(url, { point: "app.moderation.input", params });
          expect(response.status).toBe(400);
          const { error } = (await response.json()) as { error: { code: string; message: string } };
          expect(error.code).toBe(code);
          expect(error.message).toMatch(message);
        }
        const fine = await post(url, {
          point: "app.moderation.input",
          params: { inputs: { deep: { a: { b: { c: { d: 1 } } } } }, query: "0123456789" },
        });
        expect(fine.status).toBe(200);
      });

      it("refuses an app_id longer than any Dify sends with 400 naming the limit, before the handler", async () => {
        const { url, post, lines } = await start();
        const appId = "x".repeat(900 * 1024);
        const response = await post(url, { point: "app.moderation.output", params: { app_id: appId, text: "t" } });
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({
          error: {
            code: "invalid_request",
            message: `params.app_id: ${appId.length} characters long; the limit is 200 (Dify sends 36-character UUIDs)`,
          },
        });
        // The handler never ran (it would have answered 200), and no log line carries the id.
        expect(JSON.stringify(lines).length).toBeLessThan(10_000);
        const uuid = await post(url, {
          point: "app.moderation.output",
          params: { app_id: "0d9f2c1e-7a3b-4c5d-8e9f-0a1b2c3d4e5f", text: "t" },
        });
        expect(uuid.status).toBe(200);
      });

      it("bounds the number of strings and their total size, naming the limit and its variable", async () => {
        const { url, post } = await start({ limits: { maxTexts: 5, maxTotalTextLength: 30 } });
        const many = await post(url, {
          point: "app.moderation.input",
          params: { inputs: { list: Array.from({ length: 10 }, (_, i) => `t${i}`) }, query: "" },
        });
        expect(many.status).toBe(400);
        const manyError = ((await many.json()) as { error: { code: string; message: string } }).error;
        expect(manyError.code).toBe("too_many_texts");
        expect(manyError.message).toMatch(/more than 5 strings; the limit is 5 \(MAX_TEXTS\)/);
        const large = await post(url, {
          point: "app.moderation.input",
          params: { inputs: { a: "x".repeat(10), b: "y".repeat(10) }, query: "z".repeat(11) },
        });
        expect(large.status).toBe(400);
        expect(((await large.json()) as { error: { message: string } }).error.message).toMatch(
          /\(MAX_TOTAL_TEXT_LENGTH\)/,
        );
        const fine = await post(url, {
          point: "app.moderation.input",
          params: { inputs: { a: "x".repeat(10), list: ["a", "b"] }, query: "z" },
        });
        expect(fine.status).toBe(200);
      });

      it("refuses 75,000 short strings in one input by default, before any handler runs", async () => {
        let called = false;
        const { url, post } = await start({
          handlers: {
            "app.moderation.input": () => {
              called = true;
              return inputPass();
            },
          },
        });
        const list = Array.from({ length: 75_000 }, (_, i) => `w${i}`);
        const response = await post(url, { point: "app.moderation.input", params: { inputs: { list }, query: "" } });
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("too_many_texts");
        expect(called).toBe(false);
      });

      it("survives values nested far deeper than any stack", async () => {
        const { url, post } = await start();
        const depth = 100_000;
        const body = `{"point":"app.moderation.input","params":{"inputs":{"v":${"[".repeat(depth)}${"]".repeat(depth)}},"query":""}}`;
        const response = await post(url, body);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("too_deep");
      });
    });

    describe("rate limiting", () => {
      it("is off by default", async () => {
        const { url, post } = await start();
        const statuses = await Promise.all(
          Array.from({ length: 30 }, () => post(url, { point: "ping", params: {} }).then((r) => r.status)),
        );
        expect(new Set(statuses)).toEqual(new Set([200]));
      });

      it("answers 429 with Retry-After past the burst, per key", async () => {
        const { url, post } = await start({ rateLimit: { requestsPerSecond: 0.5, burst: 2 } });
        const first = await Promise.all([1, 2, 3].map(() => post(url, { point: "ping", params: {} })));
        expect(first.map((r) => r.status)).toEqual([200, 200, 429]);
        const limited = first[2]!;
        expect(limited.headers.get("retry-after")).toBe("2");
        expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
        const otherKey = await post(url, { point: "ping", params: {} }, { authorization: "Bearer rotated-key-67890" });
        expect(otherKey.status).toBe(200);
      });

      it("awaits a limiter that answers later (buckets shared by replicas), with the same answers", async () => {
        const taken: Array<number | string> = [];
        let left = 2;
        const { url, post } = await start({
          rateLimit: { requestsPerSecond: 0.5, burst: 2 },
          rateLimiter: {
            take: (client) => {
              taken.push(client);
              return new Promise((resolve) => setTimeout(() => resolve(left-- > 0 ? 0 : 1.5), 5));
            },
          },
        });
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push(await post(url, { point: "ping", params: {} }));
        expect(answers.map((r) => r.status)).toEqual([200, 200, 429]);
        expect(answers[2]!.headers.get("retry-after")).toBe("2");
        expect(taken).toEqual([0, 0, 0]);
        // The type is still checked after the limiter answered.
        const wrongType = await post(url, { point: "ping", params: {} }, { "content-type": "text/plain" });
        expect(wrongType.status).toBe(429);
        left = 5;
        const typed = await post(url, { point: "ping", params: {} }, { "content-type": "text/plain" });
        expect(typed.status).toBe(415);
      });
    });

    it("sends the security headers of a JSON API on every answer", async () => {
      const { url, running, post, fetch } = await start();
      for (const response of [await post(url, { point: "ping", params: {} }), await fetch(`${running.base}/nope`)]) {
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("cache-control")).toBe("no-store");
        expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      }
    });

    it("serves GET /metrics to a client with an API key, and reports every call to the observer", async () => {
      const records: RequestRecord[] = [];
      const { url, running, post, fetch } = await start({
        metrics: { observeRequest: (record) => void records.push(record) },
        metricsEndpoint: async () => ({ contentType: "text/plain; version=0.0.4", body: `calls ${records.length}\n` }),
        handlers: {
          "app.moderation.input": (_params, context) => {
            context.logFields.verdict = "block";
            context.logFields.engine = "keywords";
            return inputBlock("no");
          },
        },
      });
      await post(url, { point: "ping", params: {} });
      await post(url, { point: "app.moderation.input", params: { inputs: {}, query: "x" } });
      await post(url, "{bad");
      const anonymous = await fetch(`${running.base}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      const response = await fetch(`${running.base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await response.text()).toBe("calls 3\n");
      expect(records.map(({ point, status }) => `${point} ${status}`)).toEqual([
        "ping 200",
        "app.moderation.input 200",
        "- 400",
      ]);
      expect(records[1]!.fields).toMatchObject({ verdict: "block", engine: "keywords" });
      expect(records[1]!.seconds).toBeGreaterThanOrEqual(0);
    });
  });
}
