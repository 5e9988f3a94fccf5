import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { inspect } from "node:util";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { memoryStore } from "@dify-ext/test-support/memory-store";
import { GENEROUS_TIMEOUT_MS, loadedBudgetMs } from "@dify-ext/test-support/budget";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineFailure } from "../../test/engine-failure.ts";
import type { ModerateContext } from "../engine.ts";
import { createOpenAIEngine, type OpenAIEngineOptions, openAIWorstCaseMs } from "./index.ts";

const KEY = "sk-test-SECRET-0123456789abcdef";
const input: ModerateContext = { point: "input" };

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.reset();
});

function engine(options: Partial<OpenAIEngineOptions> = {}) {
  return createOpenAIEngine({ apiKey: KEY, baseURL: fake.url, ...options });
}

/** The rejection of `promise`, asserting it is the OpenAI engine's EngineUnavailableError without the key. */
// Neither the key nor a fragment of it may leak, including through the cause chain.
const failure = (promise: Promise<unknown>) => engineFailure(promise, "openai", [KEY, KEY.slice(-4)]);

describe("openai engine: requests and verdicts", () => {
  it("sends all texts of a call in one request, deduplicated, without blank ones", async () => {
    const e = engine();
    expect(e.name).toBe("openai");
    const verdicts = await e.moderate(["hello", "I am VIOLENT", "hello", "   ", "", "HATEFUL words"], input);
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call.inputs).toEqual(["hello", "I am VIOLENT", "HATEFUL words"]);
    expect((call.body as { model: string }).model).toBe("omni-moderation-latest");
    expect(call.authorizedWith(KEY)).toBe(true);
    expect(verdicts).toEqual([
      { flagged: false, findings: [], categories: [] },
      { flagged: true, findings: [], categories: ["violence"], rules: ["violence"] },
      { flagged: false, findings: [], categories: [] },
      { flagged: false, findings: [], categories: [] },
      { flagged: false, findings: [], categories: [] },
      { flagged: true, findings: [], categories: ["hate"], rules: ["hate"] },
    ]);
  });

  it("makes no request when every text is blank", async () => {
    const verdicts = await engine().moderate(["", " \n\t"], input);
    expect(verdicts.map((v) => v.flagged)).toEqual([false, false]);
    expect(fake.calls).toHaveLength(0);
  });

  it("uses the configured model", async () => {
    await engine({ model: "omni-moderation-2024-09-26" }).moderate(["x"], input);
    expect((fake.calls[0]!.body as { model: string }).model).toBe("omni-moderation-2024-09-26");
  });

  it("falls back to the API's flags without thresholds", async () => {
    const verdicts = await engine().moderate(["a BORDERLINE remark", "SUGGESTIVE text"], input);
    // The fake's API flags at 0.7: violence 0.6 is not flagged, sexual 0.8 is.
    expect(verdicts.map((v) => v.categories)).toEqual([[], ["sexual"]]);
  });

  it("applies thresholds per category, overriding the API's flag, and falls back elsewhere", async () => {
    const e = engine({ thresholds: { violence: 0.5, sexual: 0.9 } });
    const verdicts = await e.moderate(["a BORDERLINE remark", "SUGGESTIVE text", "HATEFUL words", "hello"], input);
    expect(verdicts.map((v) => [v.flagged, v.categories])).toEqual([
      [true, ["violence"]], // 0.6 >= 0.5, though the API said no
      [false, []], // 0.8 < 0.9, though the API said yes
      [true, ["hate"]], // no threshold for hate: the API's flag
      [false, []],
    ]);
  });

  it("flags at exactly the threshold", async () => {
    const [verdict] = await engine({ thresholds: { violence: 0.6 } }).moderate(["BORDERLINE"], input);
    expect(verdict!.flagged).toBe(true);
  });

  it("names OpenAI's categories in the vocabulary, and keeps its own names as rules", async () => {
    fake.script({
      type: "json",
      body: {
        id: "m",
        results: [
          {
            flagged: true,
            categories: { "harassment/threatening": true, "self-harm/intent": true, hate: false },
            category_scores: {},
          },
        ],
      },
    });
    const [verdict] = await engine({ cache: { max: 0 } }).moderate(["q"], input);
    expect(verdict).toEqual({
      flagged: true,
      findings: [],
      categories: ["harassment.threatening", "self-harm.intent"],
      rules: ["harassment/threatening", "self-harm/intent"],
    });
  });

  it("judges a hostile reply by its own categories only, whatever their names", async () => {
    const e = engine({ thresholds: { violence: 0.5 }, cache: { max: 0 } });
    // Parsed, so `__proto__` is an own key of the body, as it is in the JSON the upstream sends.
    const categories = JSON.parse('{"__proto__": false, "constructor": false, "toString": false, "violence": false}');
    const scores = JSON.parse('{"__proto__": 0.9, "constructor": 0.9, "violence": 0.1}');
    fake.script({
      type: "json",
      body: {
        id: "m",
        model: "omni-moderation-latest",
        results: [{ flagged: false, categories, category_scores: scores }],
      },
    });
    expect(await e.moderate(["x"], input)).toEqual([{ flagged: false, findings: [], categories: [] }]);
    // A category the upstream flags is reported under its own name, `__proto__` included, as a rule;
    // a name the vocabulary does not map is the category `other`.
    fake.script({
      type: "json",
      body: {
        id: "m",
        results: [{ flagged: true, categories: JSON.parse('{"__proto__": true}'), category_scores: {} }],
      },
    });
    expect(await e.moderate(["y"], input)).toEqual([
      { flagged: true, findings: [], categories: ["other"], rules: ["__proto__"] },
    ]);
    // A thresholded category missing from the scores falls back to the reply's own flag, never to Object.prototype.
    fake.script({
      type: "json",
      body: { id: "m", results: [{ flagged: false, categories: {}, category_scores: {} }] },
    });
    expect(await e.moderate(["z"], input)).toEqual([{ flagged: false, findings: [], categories: [] }]);
  });

  it("uses an injected fetch", async () => {
    let used = 0;
    const e = engine({
      fetch: (url, init) => {
        used += 1;
        return fetch(url, init);
      },
    });
    await e.moderate(["x"], input);
    expect(used).toBe(1);
    expect(fake.calls).toHaveLength(1);
  });
});

describe("openai engine: cache and coalescing", () => {
  it("answers a repeated text from the cache", async () => {
    const e = engine();
    const first = await e.moderate(["I am VIOLENT", "hello"], input);
    const second = await e.moderate(["hello", "I am VIOLENT"], { point: "output" });
    expect(fake.calls).toHaveLength(1);
    expect(second).toEqual([first[1], first[0]]);
    // Only new texts go upstream.
    await e.moderate(["hello", "new text"], input);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.inputs).toEqual(["new text"]);
  });

  it("returns verdicts a caller may change without affecting the cache", async () => {
    const e = engine();
    const [first] = await e.moderate(["VIOLENT"], input);
    first!.categories.push("tampered");
    const [second] = await e.moderate(["VIOLENT"], input);
    expect(second!.categories).toEqual(["violence"]);
  });

  it("can be disabled with max 0, and expires entries after ttlMs", async () => {
    const off = engine({ cache: { max: 0 } });
    await off.moderate(["x"], input);
    await off.moderate(["x"], input);
    expect(fake.calls).toHaveLength(2);

    fake.reset();
    const short = engine({ cache: { ttlMs: 400 } });
    await short.moderate(["x"], input);
    await short.moderate(["x"], input);
    expect(fake.calls).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await short.moderate(["x"], input);
    expect(fake.calls).toHaveLength(2);
  });

  it("does not cache texts longer than cache.maxChars", async () => {
    const e = engine({ cache: { maxChars: 100 } });
    const long = "a".repeat(200);
    await e.moderate([long], input);
    await e.moderate([long], input);
    expect(fake.calls).toHaveLength(2);
  });

  it("does not cache failures", async () => {
    const e = engine({ maxRetries: 0 });
    fake.script({ type: "error", status: 500 });
    await failure(e.moderate(["x"], input));
    const [verdict] = await e.moderate(["x"], input);
    expect(verdict!.flagged).toBe(false);
    expect(fake.calls).toHaveLength(2);
  });

  it("coalesces concurrent requests for the same text into one upstream request", async () => {
    const e = engine();
    fake.script((call) => ({ type: "default", delayMs: call.inputs.includes("slow") ? 150 : 0 }));
    const [a, b] = await Promise.all([
      e.moderate(["slow", "VIOLENT"], input),
      e.moderate(["VIOLENT", "slow"], { point: "output" }),
    ]);
    expect(fake.calls).toHaveLength(1);
    expect(a!.map((v) => v.flagged)).toEqual([false, true]);
    expect(b!.map((v) => v.flagged)).toEqual([true, false]);
  });

  it("sends only the texts not already in flight", async () => {
    const e = engine();
    fake.script({ type: "default", delayMs: 150 });
    const [a, b] = await Promise.all([e.moderate(["x", "y"], input), e.moderate(["y", "VIOLENT z"], input)]);
    expect(fake.calls.map((c) => c.inputs)).toEqual([["x", "y"], ["VIOLENT z"]]);
    expect(a!.map((v) => v.flagged)).toEqual([false, false]);
    expect(b!.map((v) => v.flagged)).toEqual([false, true]);
  });

  it("shares a failure with every waiting caller", async () => {
    const e = engine({ maxRetries: 0 });
    fake.script({ type: "error", status: 503, delayMs: 100 });
    const [a, b] = await Promise.allSettled([e.moderate(["x"], input), e.moderate(["x"], input)]);
    expect(fake.calls).toHaveLength(1);
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
  });
});

describe("openai engine: upstream failures", () => {
  it("answers a hanging upstream within the budget, after one retry", async () => {
    const options = { timeoutMs: 300, maxRetries: 1 };
    const e = engine(options);
    fake.script(() => ({ type: "hang" }));
    const started = Date.now();
    const error = await failure(e.moderate(["x"], input));
    const elapsed = Date.now() - started;
    expect(error.message).toMatch(/^OpenAI moderation (timed out after 300 ms|did not answer within)/);
    expect(fake.calls).toHaveLength(2);
    expect(elapsed).toBeLessThan(loadedBudgetMs(openAIWorstCaseMs(300, 1)));
  });

  it("bounds a reply that stalls after its headers", async () => {
    const e = engine({ timeoutMs: 300, maxRetries: 0 });
    fake.script({ type: "stall-after-headers" });
    const started = Date.now();
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation did not answer within its 300 ms budget");
    expect(Date.now() - started).toBeLessThan(loadedBudgetMs(300));
  });

  it("fails at once on a 429 whose retry-after exceeds the budget, and warns", async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const e = engine({ logger: { warn: (obj) => warnings.push(obj) } });
    fake.script(() => ({ type: "error", status: 429, code: "rate_limit_exceeded", headers: { "retry-after": "30" } }));
    const started = Date.now();
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation answered 429 (rate limited)");
    expect(fake.calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(loadedBudgetMs(openAIWorstCaseMs()));
    expect(warnings).toEqual([{ engine: "openai", status: 429, retryAfterMs: 30000 }]);
  });

  it("retries a 429 whose retry-after fits the budget", async () => {
    const e = engine();
    fake.script([{ type: "error", status: 429, headers: { "retry-after": "0.1" } }]);
    const [verdict] = await e.moderate(["VIOLENT"], input);
    expect(verdict!.flagged).toBe(true);
    expect(fake.calls).toHaveLength(2);
  });

  it("reports a 500 after its retry", async () => {
    const e = engine();
    fake.script(() => ({ type: "error", status: 500, message: `internal details ${KEY.slice(-4)}` }));
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation answered 500");
    expect(fake.calls).toHaveLength(2);
  });

  it("reports a wrong key as 401 without retrying or echoing the body", async () => {
    const wrongKey = "sk-wrong-0000000000000000wxyz";
    const e = createOpenAIEngine({ apiKey: wrongKey, baseURL: fake.url });
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation answered 401 (check the API key)");
    expect(error.message.includes(wrongKey) || inspect(error, { depth: 8 }).includes("wxyz")).toBe(false);
    expect(fake.calls).toHaveLength(1);
  });

  it("reports malformed bodies", async () => {
    const e = engine({ cache: { max: 0 } });
    const cases: Array<[Parameters<FakeOpenAI["script"]>[0], RegExp]> = [
      [{ type: "text", body: '{"results": [' }, /malformed body: invalid JSON$/],
      [{ type: "text", body: "<html>oops</html>", contentType: "text/html" }, /malformed body: not a JSON object$/],
      [{ type: "json", body: { results: "nope" } }, /malformed body: no results array$/],
      [{ type: "json", body: { results: [42] } }, /malformed body: results\[0\] is not an object$/],
      [
        { type: "json", body: { results: [{ flagged: true, categories: {}, category_scores: { violence: "0.9" } }] } },
        /malformed body: results\[0\]\.category_scores has a non-numeric score$/,
      ],
      [
        { type: "json", body: { results: [{ categories: { violence: "yes" }, category_scores: {} }] } },
        /malformed body: results\[0\]\.categories has a non-boolean value$/,
      ],
      [{ type: "json", body: { results: [] } }, /^OpenAI moderation answered 0 results for 1 inputs$/],
    ];
    for (const [reply, message] of cases) {
      fake.script(reply);
      const error = await failure(e.moderate(["x"], input));
      expect(error.message).toMatch(message);
    }
  });

  it("reports a wrong number of results", async () => {
    fake.script((call) => ({
      type: "json",
      body: { id: "m", model: "m", results: call.inputs.slice(1).map(() => ({ categories: {}, category_scores: {} })) },
    }));
    const error = await failure(engine().moderate(["a", "b", "c"], input));
    expect(error.message).toBe("OpenAI moderation answered 2 results for 3 inputs");
  });

  it("reports a reset connection and a connection dropped mid-body", async () => {
    const e = engine({ maxRetries: 0, cache: { max: 0 } });
    fake.script({ type: "reset" });
    expect((await failure(e.moderate(["x"], input))).message).toMatch(/^OpenAI moderation could not connect/);
    fake.script({ type: "drop-after-headers" });
    expect((await failure(e.moderate(["x"], input))).message).toMatch(
      /^OpenAI moderation (failed while reading the reply|answered with a malformed body)/,
    );
  });

  it("refuses a reply larger than 512 KiB, declared by its content-length", async () => {
    const e = engine({ maxRetries: 0, cache: { max: 0 } });
    const results = [{ flagged: false, categories: { violence: false }, category_scores: { violence: 0.01 } }];
    fake.script({
      type: "json",
      body: { id: "modr-big", model: "omni-moderation-latest", results, padding: "x".repeat(2 * 1024 * 1024) },
    });
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation answered with a reply larger than 524288 bytes");
  });

  it("stops reading a streamed reply without a content-length once it passes 512 KiB", async () => {
    // The fake always declares its length: this upstream streams a well-formed, endless reply.
    let written = 0;
    const server = createHttpServer((request, response) => {
      request.resume();
      response.writeHead(200, { "content-type": "application/json" });
      response.write(
        '{"id":"modr-stream","model":"omni-moderation-latest","results":[{"flagged":false,"categories":{},"category_scores":{}}],"padding":"',
      );
      const chunk = "x".repeat(64 * 1024);
      const more = () => {
        while (!response.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", more);
        }
        if (!response.destroyed) response.end('"}');
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const e = createOpenAIEngine({
        apiKey: KEY,
        baseURL: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
        cache: { max: 0 },
      });
      const error = await failure(e.moderate(["x"], input));
      expect(error.message).toBe("OpenAI moderation answered with a reply larger than 524288 bytes");
      // It stopped reading: the upstream did not get to send its 64 MiB.
      expect(written).toBeLessThan(64 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reports a refused connection", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const e = createOpenAIEngine({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const error = await failure(e.moderate(["x"], input));
    expect(error.message).toBe("OpenAI moderation could not connect (ECONNREFUSED)");
  });

  it("honours the caller's abort signal", async () => {
    const e = engine({ timeoutMs: 5000 });
    fake.script({ type: "hang" });
    const controller = new AbortController();
    const pending = e.moderate(["x"], { point: "input", signal: controller.signal });
    while (fake.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await failure(pending);
    expect(error.message).toBe("OpenAI moderation was aborted by the caller");
    // The aborted request is forgotten: the next call asks again and gets an answer.
    const [verdict] = await e.moderate(["x"], input);
    expect(verdict!.flagged).toBe(false);
    expect(fake.calls).toHaveLength(2);

    const already = new AbortController();
    already.abort();
    await failure(e.moderate(["new"], { point: "input", signal: already.signal }));
    expect(fake.calls).toHaveLength(2);
  });

  it("keeps serving a caller whose twin aborted", async () => {
    const e = engine();
    fake.script({ type: "default", delayMs: 150 });
    const controller = new AbortController();
    const aborted = e.moderate(["VIOLENT"], { point: "input", signal: controller.signal });
    const patient = e.moderate(["VIOLENT"], input);
    controller.abort();
    await failure(aborted);
    const [verdict] = await patient;
    expect(verdict!.flagged).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });
});

describe("openai engine: options", () => {
  it("requires a non-empty apiKey", () => {
    expect(() => createOpenAIEngine({ apiKey: "" })).toThrow(/apiKey is required/);
    expect(() => createOpenAIEngine({ apiKey: "   " })).toThrow(/apiKey is required/);
  });

  it("rejects bad options with clear messages that never contain the key", () => {
    const bad: Array<[Partial<OpenAIEngineOptions>, RegExp]> = [
      [{ timeoutMs: 99 }, /timeoutMs must be an integer from 100 to 29000, got 99/],
      [{ timeoutMs: 29_001 }, /timeoutMs/],
      [{ maxRetries: Number.NaN }, /maxRetries/],
      [{ maxRetries: 2 }, /maxRetries must be an integer from 0 to 1/],
      [{ thresholds: { violance: 0.5 } }, /unknown category "violance"/],
      [{ thresholds: { constructor: 0.5 } }, /unknown category "constructor"/],
      [{ thresholds: JSON.parse('{"__proto__": 0.5}') }, /unknown category "__proto__"/],
      [{ thresholds: { violence: 1.5 } }, /thresholds\.violence: the score must be a number from 0 to 1/],
      [{ cache: { max: -1 } }, /cache\.max/],
      [{ cache: { ttlMs: 0 } }, /cache\.ttlMs/],
      [{ model: "" }, /model/],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        createOpenAIEngine({ apiKey: KEY, ...options });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message.includes(KEY)).toBe(false);
    }
  });

  it("computes the worst case", () => {
    expect(openAIWorstCaseMs()).toBe(9000);
    expect(openAIWorstCaseMs(4000, 0)).toBe(4000);
  });
});

describe("openai engine: metrics events", () => {
  it("reports each upstream call with its outcome and each cache lookup", async () => {
    const events: unknown[] = [];
    const e = engine({ onUpstream: (event) => events.push(event), timeoutMs: GENEROUS_TIMEOUT_MS, maxRetries: 0 });
    await e.moderate(["first text"], input);
    await e.moderate(["first text"], input);
    expect(events).toEqual([
      { kind: "cache", cache: "openai", hit: false },
      { kind: "call", upstream: "openai", outcome: "ok", seconds: expect.any(Number) },
      { kind: "cache", cache: "openai", hit: true },
    ]);
    events.length = 0;
    fake.script({ type: "error", status: 500 });
    await failure(e.moderate(["second text"], input));
    fake.script({ type: "hang" });
    await failure(e.moderate(["third text"], input));
    const outcomes = events
      .filter((event) => (event as { kind: string }).kind === "call")
      .map((event) => (event as { outcome: string }).outcome);
    expect(outcomes).toEqual(["error", "timeout"]);
  });
});

describe("openai engine: verdicts shared by replicas", () => {
  it("sends a text once whichever replica judges it, and never takes verdicts of other thresholds", async () => {
    const shared = memoryStore();
    const a = engine({ shared });
    const b = engine({ shared });
    const first = await a.moderate(["I am VIOLENT", "hello"], input);
    expect(fake.calls).toHaveLength(1);
    expect(await b.moderate(["hello", "I am VIOLENT"], input)).toEqual([first[1], first[0]]);
    expect(fake.calls).toHaveLength(1);
    // Only the uncached text of a call goes upstream.
    await b.moderate(["I am VIOLENT", "HATEFUL words"], input);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]!.inputs).toEqual(["HATEFUL words"]);
    expect([...shared.values.keys(), ...shared.values.values()].join(" ")).not.toMatch(/VIOLENT|hello|HATEFUL/);
    await engine({ shared, thresholds: { violence: 0.1 } }).moderate(["I am VIOLENT"], input);
    expect(fake.calls).toHaveLength(3);
  });
});
