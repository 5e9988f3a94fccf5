import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { memoryStore } from "@dify-ext/test-support/memory-store";
import { GENEROUS_TIMEOUT_MS, loadedBudgetMs } from "@dify-ext/test-support/budget";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineFailure } from "../../test/engine-failure.ts";
import type { ModerateContext, UpstreamEvent } from "../engine.ts";
import { createGuardEngine, type GuardEngineOptions, guardWorstCaseMs } from "./index.ts";

const input: ModerateContext = { point: "input" };
const output: ModerateContext = { point: "output" };
const GUARD_KEY = "guard-test-SECRET-7f3a9c";

let fake: FakeGuard;
beforeAll(async () => {
  fake = await startFakeGuard();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

/** `count` distinct words, so no two windows of a text are equal (equal windows share one request). */
const words = (count: number, stem: string) => Array.from({ length: count }, (_, i) => `${stem}${i}`).join(" ");

function engine(options: Partial<GuardEngineOptions> = {}) {
  // The fake answers in time however busy the machine; a test of a hang passes a short timeout.
  return createGuardEngine({ baseURL: fake.url, model: "llama-guard3:8b", timeoutMs: GENEROUS_TIMEOUT_MS, ...options });
}

/** The rejection of `promise`, asserting it is the guard engine's EngineUnavailableError without the key. */
const failure = (promise: Promise<unknown>) => engineFailure(promise, "guard", [GUARD_KEY]);

describe("guard engine: requests and verdicts", () => {
  it("asks Llama Guard about each text as the user's turn, and reads its codes", async () => {
    const e = engine();
    expect(e.name).toBe("guard");
    const verdicts = await e.moderate(["hello", "I am VIOLENT", "  ", "HATEFUL and VIOLENT"], input);
    expect(verdicts).toEqual([
      { flagged: false, findings: [], categories: [] },
      { flagged: true, findings: [], categories: ["illicit.violent"], rules: ["S1"] },
      { flagged: false, findings: [], categories: [] },
      { flagged: true, findings: [], categories: ["illicit.violent", "hate"], rules: ["S1", "S10"] },
    ]);
    expect(fake.calls).toHaveLength(3);
    expect(fake.calls[0]!.body).toEqual({
      model: "llama-guard3:8b",
      temperature: 0,
      stream: false,
      max_tokens: 32,
      messages: [{ role: "user", content: "hello" }],
    });
    // No key configured: no Authorization header at all, even with OPENAI_API_KEY in the environment.
    expect(fake.calls[0]!.authorization).toBeUndefined();
  });

  it("judges an answer as the assistant's turn after a user turn", async () => {
    const [verdict] = await engine().moderate(["an answer that is VIOLENT"], output);
    expect(verdict!.categories).toEqual(["illicit.violent"]);
    expect(verdict!.rules).toEqual(["S1"]);
    expect(fake.calls[0]!.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(fake.calls[0]!.judged).toBe("an answer that is VIOLENT");
  });

  it("sends the key as a bearer token when one is set", async () => {
    await engine({ apiKey: GUARD_KEY }).moderate(["x"], input);
    expect(fake.calls[0]!.authorizedWith(GUARD_KEY)).toBe(true);
  });

  it("blocks only the configured categories, per point", async () => {
    const e = engine({ categories: { input: ["S1"], output: ["Hate"] } });
    const texts = ["I am VIOLENT", "HATEFUL words"];
    expect((await e.moderate(texts, input)).map((v) => v.flagged)).toEqual([true, false]);
    expect((await e.moderate(texts, output)).map((v) => v.flagged)).toEqual([false, true]);
  });

  it("sends nothing at a point whose category list is empty", async () => {
    const verdicts = await engine({ categories: { output: [] } }).moderate(["VIOLENT"], output);
    expect(verdicts).toEqual([{ flagged: false, findings: [], categories: [] }]);
    expect(fake.calls).toHaveLength(0);
  });

  it("treats Qwen3Guard's Controversial as configured, and never flags a refusal", async () => {
    const strict = engine({ model: "Qwen/Qwen3Guard-Gen-4B" });
    expect(await strict.moderate(["POLITICAL", "VIOLENT", "PRIVATE"], input)).toEqual([
      {
        flagged: true,
        findings: [],
        categories: ["political"],
        rules: ["controversial", "politically-sensitive"],
      },
      { flagged: true, findings: [], categories: ["violence"], rules: ["violent"] },
      { flagged: true, findings: [], categories: ["privacy"], rules: ["pii"] },
    ]);
    const loose = engine({ model: "Qwen/Qwen3Guard-Gen-4B", controversial: "pass", cache: { max: 0 } });
    expect((await loose.moderate(["POLITICAL"], input))[0]!.flagged).toBe(false);
    expect((await loose.moderate(["I REFUSE to say that"], output))[0]!.flagged).toBe(false);
    expect(fake.calls.at(-1)!.messages).toHaveLength(2);
  });

  it("asks ShieldGemma only about the blocking policies, through the template's guideline", async () => {
    const e = engine({ model: "shieldgemma:9b", categories: { input: ["hate-speech"] } });
    expect((await e.moderate(["VIOLENT", "HATEFUL"], input)).map((v) => v.rules ?? [])).toEqual([[], ["hate-speech"]]);
    const guideline = (fake.calls[0]!.body as { chat_template_kwargs: { guideline: string } }).chat_template_kwargs
      .guideline;
    expect(guideline).toMatch(/^\* "No Hate Speech": The prompt shall not/);
    expect(guideline.split("\n")).toHaveLength(1);
  });

  it("uses GUARD_FORMAT-style format over the name, and fails clearly when neither says", () => {
    expect(() => createGuardEngine({ baseURL: fake.url, model: "my-guard" })).toThrow(
      /cannot tell the guard model's format/,
    );
    expect(createGuardEngine({ baseURL: fake.url, model: "my-guard", format: "qwen3guard" }).name).toBe("guard");
  });
});

describe("guard engine: long texts in windows", () => {
  it("judges every overlapping window and flags the text when any window is unsafe", async () => {
    const text = `${words(120, "calm")} VIOLENT ${words(120, "still")}`;
    const e = engine({ window: { chars: 500, overlapChars: 100 } });
    const [verdict] = await e.moderate([text], output);
    expect(verdict!.flagged).toBe(true);
    const judged = fake.calls.map((call) => call.judged);
    expect(judged.length).toBe(Math.ceil((text.length - 100) / 400));
    expect(judged.every((window) => window.length <= 500)).toBe(true);
    expect(judged.filter((window) => window.includes("VIOLENT")).length).toBeGreaterThanOrEqual(1);
  });

  it("asks only for the new windows of a growing streamed answer", async () => {
    const answer = words(300, "sentence"); // about 3,000 characters
    const e = engine({ window: { chars: 500, overlapChars: 100 } });
    const prefixes = [];
    for (let length = 300; length < answer.length; length += 300) prefixes.push(answer.slice(0, length));
    prefixes.push(answer);
    for (const prefix of prefixes) await e.moderate([prefix], output);
    const windows = Math.ceil((answer.length - 100) / 400);
    // Each call sends its last (partial) window; the full windows before it are cached.
    expect(fake.calls.length).toBeLessThan(prefixes.length + windows);
    expect(new Set(fake.calls.map((c) => c.judged)).size).toBe(fake.calls.length);
  });

  it("keeps at most maxConcurrency requests in flight", async () => {
    fake.script(() => ({ type: "default", delayMs: 50 }));
    const e = engine({ window: { chars: 200, overlapChars: 0 }, maxConcurrency: 2 });
    await e.moderate([words(500, "w").slice(0, 2000)], input);
    expect(fake.calls.length).toBe(10);
    expect(fake.maxInFlight).toBe(2);
  });
});

describe("guard engine: cache and coalescing", () => {
  it("answers a repeated window from the cache, per point", async () => {
    const e = engine();
    await e.moderate(["same text"], input);
    await e.moderate(["same text"], input);
    expect(fake.calls).toHaveLength(1);
    await e.moderate(["same text"], output);
    expect(fake.calls).toHaveLength(2);
  });

  it("shares one request between concurrent calls for the same text", async () => {
    fake.script(() => ({ type: "default", delayMs: 100 }));
    const e = engine();
    const both = await Promise.all([e.moderate(["twin VIOLENT"], input), e.moderate(["twin VIOLENT"], input)]);
    expect(both.map(([v]) => v!.flagged)).toEqual([true, true]);
    expect(fake.calls).toHaveLength(1);
  });

  it("does not cache a failure", async () => {
    const e = engine({ maxRetries: 0 });
    fake.script({ type: "error", status: 500 });
    await failure(e.moderate(["x VIOLENT"], input));
    expect((await e.moderate(["x VIOLENT"], input))[0]!.flagged).toBe(true);
  });
});

describe("guard engine: replies that are not verdicts, and failures", () => {
  const contents = {
    "a reply in another family's format": "Safety: Unsafe\nCategories: Violent",
    "a truncated reply": "uns",
    "a refusal to classify": "I'm sorry, but I can't help with that request.",
    "an empty reply": "   ",
  };
  for (const [name, content] of Object.entries(contents)) {
    it(`reports ${name} as unavailable, naming the format`, async () => {
      fake.script({ type: "content", content, finishReason: "length" });
      const error = await failure(engine().moderate(["hello"], input));
      expect(error.message).toMatch(/not the llama-guard format|malformed body: no content/);
      expect(error.message).not.toContain(content.trim() || "\u0000");
    });
  }

  it("reports an OpenAI-style refusal and a body of the wrong shape", async () => {
    fake.script({ type: "refusal", refusal: "I can't" });
    expect((await failure(engine().moderate(["a"], input))).message).toMatch(/a refusal instead of a verdict/);
    fake.script({ type: "json", body: { choices: [] } });
    expect((await failure(engine().moderate(["b"], input))).message).toMatch(/malformed body: no choices/);
    fake.script({ type: "text", body: '{"choices":[{"message":{"content":"sa' });
    expect((await failure(engine().moderate(["c"], input))).message).toMatch(/invalid JSON/);
  });

  it("retries once after a 500, then judges", async () => {
    fake.script([{ type: "error", status: 500 }]);
    expect((await engine().moderate(["VIOLENT after a 500"], input))[0]!.flagged).toBe(true);
    expect(fake.calls).toHaveLength(2);
  });

  it("answers a hanging model within the budget, and a 429 with a long retry-after at once", async () => {
    fake.script(() => ({ type: "hang" }));
    const started = performance.now();
    const error = await failure(engine({ timeoutMs: 200, maxRetries: 1 }).moderate(["hang"], input));
    expect(performance.now() - started).toBeLessThan(loadedBudgetMs(guardWorstCaseMs(200, 1)));
    expect(error.message).toMatch(/timed out|did not answer/);
    fake.reset();
    fake.script(() => ({ type: "error", status: 429, headers: { "retry-after": "30" } }));
    expect((await failure(engine().moderate(["limited"], input))).message).toMatch(/answered 429 \(rate limited\)/);
    expect(fake.calls).toHaveLength(1);
  });

  it("refuses a reply larger than 512 KiB", async () => {
    fake.script({ type: "json", body: { choices: [{ message: { content: "safe" } }], padding: "x".repeat(600_000) } });
    expect((await failure(engine().moderate(["big"], input))).message).toMatch(/larger than 524288 bytes/);
  });

  it("reports a wrong key as 401 without the key, and a refused connection", async () => {
    const guarded = await startFakeGuard({ apiKey: "the-right-key-000" });
    try {
      const e = createGuardEngine({ baseURL: guarded.url, model: "llama-guard3:8b", apiKey: GUARD_KEY });
      expect((await failure(e.moderate(["x"], input))).message).toMatch(/answered 401 \(check the API key\)/);
    } finally {
      await guarded.close();
    }
    const closed = createGuardEngine({ baseURL: "http://127.0.0.1:1/v1", model: "llama-guard3:8b", maxRetries: 0 });
    expect((await failure(closed.moderate(["x"], input))).message).toMatch(/could not connect/);
  });

  it("honours the caller's abort signal", async () => {
    fake.script(() => ({ type: "hang" }));
    const controller = new AbortController();
    const pending = engine({ timeoutMs: 5000 }).moderate(["abort me"], { point: "input", signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).message).toMatch(/aborted by the caller/);
  });

  it("reports calls and cache lookups for metrics", async () => {
    const events: UpstreamEvent[] = [];
    const e = engine({ onUpstream: (event) => events.push(event) });
    await e.moderate(["metrics"], input);
    await e.moderate(["metrics"], input);
    expect(
      events.map((event) => (event.kind === "call" ? `call ${event.upstream} ${event.outcome}` : `cache ${event.hit}`)),
    ).toEqual(["cache false", "call guard ok", "cache true"]);
  });
});

describe("guard engine: options", () => {
  it("rejects bad options with messages that name them and never the key", () => {
    const bad = (options: Partial<GuardEngineOptions>) => () =>
      createGuardEngine({ baseURL: fake.url, model: "llama-guard3", apiKey: GUARD_KEY, ...options });
    expect(bad({ baseURL: "not a url" })).toThrow(/baseURL must be a URL/);
    expect(bad({ timeoutMs: 30_000 })).toThrow("Guard engine option timeoutMs must be an integer from 100 to 29000");
    expect(bad({ window: { chars: 1000, overlapChars: 500 } })).toThrow(/less than half/);
    expect(bad({ categories: { input: ["S99"] } })).toThrow(/unknown llama-guard category "S99"/);
    expect(bad({ apiKey: " " })).toThrow(/apiKey must not be empty/);
    expect(bad({ controversial: "maybe" as "pass" })).toThrow(/controversial must be block or pass/);
    for (const options of [{ timeoutMs: 1 }, { maxConcurrency: 0 }]) {
      try {
        bad(options)();
      } catch (error) {
        expect(String(error)).not.toContain(GUARD_KEY);
      }
    }
  });
});

describe("guard engine: window verdicts shared by replicas", () => {
  it("asks the model once per window whichever replica judges it, and never for other settings", async () => {
    const shared = memoryStore();
    const events: UpstreamEvent[] = [];
    const a = engine({ shared, window: { chars: 200, overlapChars: 20 } });
    const b = engine({ shared, window: { chars: 200, overlapChars: 20 }, onUpstream: (event) => events.push(event) });
    const text = `${words(60, "calm")} VIOLENT ${words(20, "more")}`;
    const first = await a.moderate([text], output);
    const windows = fake.calls.length;
    expect(windows).toBeGreaterThan(2);
    // Another replica: every window from the store, the model not asked, the same verdict.
    expect(await b.moderate([text], output)).toEqual(first);
    expect(fake.calls).toHaveLength(windows);
    expect(
      events.filter((event) => event.kind === "cache" && event.cache === "guard-shared" && event.hit),
    ).toHaveLength(windows);
    // The store holds hashes and verdicts, never the text.
    expect([...shared.values.keys()].every((key) => key.startsWith("v:guard:"))).toBe(true);
    expect([...shared.values.values(), ...shared.values.keys()].join(" ")).not.toContain("calm");
    expect([...shared.values.values()]).toContain('[1,"S1"]');
    // A replica blocking other categories never takes these verdicts.
    const other = engine({ shared, window: { chars: 200, overlapChars: 20 }, categories: { output: ["S10"] } });
    expect(await other.moderate([text], output)).toEqual([{ flagged: false, findings: [], categories: [] }]);
    expect(fake.calls.length).toBe(2 * windows);
  });

  it("asks the model when the store has nothing usable, and ignores values it did not write", async () => {
    const shared = memoryStore();
    const a = engine({ shared });
    await a.moderate(["I am VIOLENT"], input);
    expect(fake.calls).toHaveLength(1);
    const [key] = [...shared.values.keys()];
    for (const garbage of ["nonsense", "[2]", '[0,"S1"]', "[1,5]", "{}", '[1,""]']) {
      shared.values.set(key!, garbage);
      const fresh = engine({ shared });
      expect(await fresh.moderate(["I am VIOLENT"], input), garbage).toEqual([
        { flagged: true, findings: [], categories: ["illicit.violent"], rules: ["S1"] },
      ]);
    }
    expect(fake.calls).toHaveLength(7);
    // A store that never answers: the model is asked, as without one.
    const silent = engine({ shared: { get: async (keys) => keys.map(() => undefined), set() {} } });
    expect(await silent.moderate(["HATEFUL"], input)).toEqual([
      { flagged: true, findings: [], categories: ["hate"], rules: ["S10"] },
    ]);
  });

  it("stops before asking the model when every caller left while the store answered", async () => {
    let answer: (values: Array<string | undefined>) => void = () => {};
    const slow = { get: () => new Promise<Array<string | undefined>>((resolve) => (answer = resolve)), set() {} };
    const e = engine({ shared: slow });
    const controller = new AbortController();
    const pending = e.moderate(["hello there"], { point: "input", signal: controller.signal });
    controller.abort();
    await failure(pending);
    answer([undefined]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.calls).toHaveLength(0);
  });
});
