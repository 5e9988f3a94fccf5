import { fileURLToPath } from "node:url";
import { difyReplyProblems } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "e2e-key-0123456789";
const OPENAI_KEY = "sk-e2e-secret-4f9a1c7d2b";
const INPUT_PRESET = "Sorry, your message was blocked by content moderation.";
const OUTPUT_PRESET = "Sorry, this answer was withheld by content moderation.";
/** Room for a loaded shared machine on top of the engine's worst case. */
const SLACK_MS = 1500;

type Point = Parameters<typeof difyReplyProblems>[0];

/** Calls the app as Dify does, checks the reply against Dify's own rules, and times it. */
async function call(app: AppProcess, point: Point, params: unknown): Promise<{ body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await difyCall(app.receiveUrl, KEY, point, params);
  const body = await response.json();
  const ms = performance.now() - started;
  expect(response.status).toBe(200);
  expect(difyReplyProblems(point, body, params)).toEqual([]);
  return { body: body as Record<string, unknown>, ms };
}

const input = async (app: AppProcess, query: string, inputs: Record<string, unknown> = {}) =>
  (await call(app, "app.moderation.input", { app_id: "app", inputs, query })).body;

const PASS = { flagged: false, action: "direct_output" };
const INPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: INPUT_PRESET };
const OUTPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: OUTPUT_PRESET };

/** Every way the upstream can fail, as the fake scripts them, for one attempt. */
const FAILURES = {
  hang: { type: "hang" },
  "429 with a long retry-after": { type: "error", status: 429, code: "rate_limit_exceeded", headers: { "retry-after": "30" } },
  "500": { type: "error", status: 500 },
  "malformed body": { type: "text", body: '{"id":"modr-1","results":[{"flagged":tru' },
  "wrong shape": { type: "json", body: { id: "modr-1", results: "none" } },
} as const;

describe("moderation-openai against a fake OpenAI, failing open (the default)", () => {
  let fake: FakeOpenAI;
  let app: AppProcess;
  const timeoutMs = 300;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: fake.url,
        OPENAI_TIMEOUT_MS: String(timeoutMs),
        OPENAI_MAX_RETRIES: "0",
        OPENAI_THRESHOLDS: "violence=0.5,sexual=0.9",
        MODERATION_INPUT_ACTION: "mask",
        MODERATION_OUTPUT_ACTION: "mask",
      },
    });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
    await fake.close();
  });

  it("answers ping without calling OpenAI, and is ready", async () => {
    const response = await difyCall(app.receiveUrl, KEY, "ping", {});
    expect(await response.text()).toBe('{"result":"pong"}');
    expect(fake.calls).toHaveLength(0);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("sends the query and every text input of a Dify call in ONE upstream request", async () => {
    const inputs = { topic: "batch topic 1", count: 4, file: { type: "image" }, tags: ["batch tag 1", 2, "batch tag 2"], blank: " " };
    expect(await input(app, "batch query 1", inputs)).toEqual(PASS);
    expect(fake.calls).toHaveLength(1);
    const [request] = fake.calls;
    expect(request?.authorizedWith(OPENAI_KEY)).toBe(true);
    expect(request?.body).toMatchObject({ model: "omni-moderation-latest" });
    expect([...(request?.inputs ?? [])].sort()).toEqual(["batch query 1", "batch tag 1", "batch tag 2", "batch topic 1"]);
  });

  it("applies OPENAI_THRESHOLDS: stricter for violence, laxer for sexual", async () => {
    // The fake scores BORDERLINE violence 0.6 (not flagged by its API), SUGGESTIVE sexual 0.8 (flagged by its API).
    expect(await input(app, "a BORDERLINE remark 1")).toEqual(INPUT_BLOCKED);
    expect(await input(app, "a SUGGESTIVE remark 1")).toEqual(PASS);
    expect(await input(app, "HATEFUL words 1")).toEqual(INPUT_BLOCKED);
  });

  it("blocks a flagged text even with the mask action: OpenAI gives no spans to mask", async () => {
    const params = { app_id: "app", inputs: { note: "fine note" }, query: "I am VIOLENT today 1" };
    expect((await call(app, "app.moderation.input", params)).body).toEqual(INPUT_BLOCKED);
    expect((await call(app, "app.moderation.output", { app_id: "app", text: "an answer that is VIOLENT 1" })).body).toEqual(OUTPUT_BLOCKED);
  });

  it("answers a repeated text from its cache, and asks only for the new texts", async () => {
    const text = "The answer so far, cached 1.";
    expect((await call(app, "app.moderation.output", { app_id: "app", text })).body).toEqual(PASS);
    expect((await call(app, "app.moderation.output", { app_id: "app", text })).body).toEqual(PASS);
    expect(fake.calls).toHaveLength(1);
    expect(await input(app, text, { other: "a new text 1" })).toEqual(PASS);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]?.inputs).toEqual(["a new text 1"]);
  });

  it("never flags its own preset responses (Dify may send them back as the output)", async () => {
    for (const text of [OUTPUT_PRESET, INPUT_PRESET]) {
      expect((await call(app, "app.moderation.output", { app_id: "app", text })).body).toEqual(PASS);
    }
    expect(fake.calls).toHaveLength(0);
  });

  for (const [name, reply] of Object.entries(FAILURES)) {
    it(`lets the text through when OpenAI fails (${name}), within the time budget`, async () => {
      fake.script(() => reply);
      const { body, ms } = await call(app, "app.moderation.input", { app_id: "app", inputs: {}, query: `I am VIOLENT, failing with ${name}` });
      expect(body).toEqual(PASS);
      expect(ms).toBeLessThan(timeoutMs + SLACK_MS);
      expect(fake.calls).toHaveLength(1);
    });
  }

  it("does not cache a failure: the next call asks again and judges", async () => {
    fake.script({ type: "error", status: 500 });
    expect(await input(app, "I am VIOLENT, not cached 1")).toEqual(PASS);
    expect(await input(app, "I am VIOLENT, not cached 1")).toEqual(INPUT_BLOCKED);
    expect(fake.calls).toHaveLength(2);
  });

  it("logs why OpenAI failed, and never the API key, even when the upstream echoes it", async () => {
    fake.script({ type: "error", status: 401, code: "invalid_api_key", message: `Incorrect API key provided: ${OPENAI_KEY}.` });
    expect(await input(app, "a text for the 401 case")).toEqual(PASS);
    await expect
      .poll(() => app.output.some((line) => line.includes("OpenAI moderation answered 401 (check the API key)")))
      .toBe(true);
    expect(app.output.join("\n")).not.toContain(OPENAI_KEY);
    expect(app.output.join("\n")).not.toContain(OPENAI_KEY.slice(3, 15));
  });
});

describe("moderation-openai against a fake OpenAI, failing closed, one retry", () => {
  let fake: FakeOpenAI;
  let app: AppProcess;
  const timeoutMs = 300;
  // OPENAI_TIMEOUT_MS × 2 attempts + at most 1 s before the retry.
  const worstCaseMs = timeoutMs * 2 + 1000;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: fake.url,
        OPENAI_TIMEOUT_MS: String(timeoutMs),
        OPENAI_MAX_RETRIES: "1",
        MODERATION_INPUT_ON_ERROR: "closed",
        MODERATION_OUTPUT_ON_ERROR: "closed",
      },
    });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
    await fake.close();
  });

  it("logs the worst-case wait at start-up", () => {
    expect(app.output.some((line) => line.includes('"worstCaseMs":1600'))).toBe(true);
  });

  for (const [name, reply] of Object.entries(FAILURES)) {
    it(`blocks input and output with the presets when OpenAI fails (${name}), within the time budget`, async () => {
      fake.script(() => reply);
      const inputCall = await call(app, "app.moderation.input", { app_id: "app", inputs: {}, query: `a clean question, failing with ${name}` });
      expect(inputCall.body).toEqual(INPUT_BLOCKED);
      expect(inputCall.ms).toBeLessThan(worstCaseMs + SLACK_MS);
      const outputCall = await call(app, "app.moderation.output", { app_id: "app", text: `a clean answer, failing with ${name}` });
      expect(outputCall.body).toEqual(OUTPUT_BLOCKED);
      expect(outputCall.ms).toBeLessThan(worstCaseMs + SLACK_MS);
    });
  }

  it("retries once after a 500 or a 429 with a short retry-after, then judges", async () => {
    fake.script([{ type: "error", status: 500 }]);
    expect(await input(app, "a clean question after a 500")).toEqual(PASS);
    expect(fake.calls).toHaveLength(2);
    fake.reset();
    fake.script([{ type: "error", status: 429, headers: { "retry-after": "0" } }]);
    expect(await input(app, "I am VIOLENT after a 429")).toEqual(INPUT_BLOCKED);
    expect(fake.calls).toHaveLength(2);
  });

  it("does not retry a 429 whose retry-after exceeds the budget", async () => {
    fake.script(() => ({ type: "error", status: 429, headers: { "retry-after": "30" } }));
    expect(await input(app, "a clean question, rate limited")).toEqual(INPUT_BLOCKED);
    expect(fake.calls).toHaveLength(1);
  });

  it("never prints the API key", () => {
    expect(app.output.join("\n")).not.toContain(OPENAI_KEY);
  });
});

describe("moderation-openai without OPENAI_API_KEY", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_INPUT_ON_ERROR: "closed" } });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("starts outside production, says so loudly, and answers ping", async () => {
    expect(app.output.some((line) => line.includes('"level":"warn"') && line.includes("OPENAI_API_KEY is not set"))).toBe(true);
    const response = await difyCall(app.receiveUrl, KEY, "ping", {});
    expect(await response.text()).toBe('{"result":"pong"}');
  });

  it("reports not ready on /readyz, with the reason", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not ready", reason: "OPENAI_API_KEY is not set" });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers moderation calls by the failure policy of each point", async () => {
    expect(await input(app, "I am VIOLENT")).toEqual(INPUT_BLOCKED); // MODERATION_INPUT_ON_ERROR=closed
    const output = await call(app, "app.moderation.output", { app_id: "app", text: "I am VIOLENT" });
    expect(output.body).toEqual(PASS); // MODERATION_OUTPUT_ON_ERROR defaults to open
  });
});

describe("moderation-openai start-up checks", () => {
  it("refuses to start in production without OPENAI_API_KEY, naming it", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY } }).catch((e: Error) => e);
    expect(String(error)).toMatch(/exited with code 1/);
    expect(String(error)).toContain("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
  });

  it("names a bad threshold and a bad timeout", async () => {
    const error = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, OPENAI_API_KEY: OPENAI_KEY, OPENAI_THRESHOLDS: "violance=0.7", OPENAI_TIMEOUT_MS: "soon" },
    }).catch((e: Error) => e);
    const message = String(error);
    expect(message).toMatch(/exited with code 1/);
    expect(message).toMatch(/OPENAI_THRESHOLDS: threshold \\?"violance=0.7\\?": unknown category/);
    expect(message).toContain("OPENAI_TIMEOUT_MS: expected a whole number from 100 to 30000");
    expect(message).not.toContain(OPENAI_KEY);
  });
});
