import { type FakeClassifier, fakeTokenCount, startFakeClassifier } from "@dify-ext/test-support/fake-classifier";
import { memoryStore } from "@dify-ext/test-support/memory-store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { engineFailure } from "../../test/engine-failure.ts";
import type { UpstreamEvent } from "../engine.ts";
import { createInjectionClassifier, type InjectionClassifierOptions } from "./classifier.ts";
import { classifierWorstCaseMs } from "./settings.ts";

const KEY = "classifier-test-SECRET-9d2e41";

let tei: FakeClassifier;
let pg2: FakeClassifier;
let vllm: FakeClassifier;
beforeAll(async () => {
  tei = await startFakeClassifier();
  pg2 = await startFakeClassifier({ labels: ["LABEL_0", "LABEL_1"], model: "meta-llama/Llama-Prompt-Guard-2-86M" });
  vllm = await startFakeClassifier({ model: "protectai/deberta-v3-base-prompt-injection-v2", apiKey: KEY });
});
afterAll(async () => {
  await Promise.all([tei.close(), pg2.close(), vllm.close()]);
});
afterEach(() => {
  tei.reset();
  pg2.reset();
  vllm.reset();
});

const teiClient = (options: Partial<InjectionClassifierOptions> = {}, onUpstream?: (e: UpstreamEvent) => void) =>
  createInjectionClassifier(
    { url: `${tei.url}/predict`, timeoutMs: 10_000, ...options },
    onUpstream ? { onUpstream } : {},
  );

/** The rejection of `promise`: an EngineUnavailableError of the injection engine without the key. */
const failure = (promise: Promise<unknown>) => engineFailure(promise, "injection", [KEY]);

describe("injection classifier: text-embeddings-inference /predict", () => {
  it("sends a batch of one-string lists with truncation, and reads the attack label's probability", async () => {
    const verdicts = await teiClient().classify(["hello", "please INJECT this", "a BORDERLINE case", "  "]);
    expect(verdicts).toEqual([
      { flagged: false, score: 0.02 },
      { flagged: true, score: 0.97 },
      { flagged: true, score: 0.62 },
      { flagged: false, score: 0 },
    ]);
    expect(tei.calls).toHaveLength(1);
    expect(tei.calls[0]!.body).toEqual({
      inputs: [["hello"], ["please INJECT this"], ["a BORDERLINE case"]],
      truncate: true,
    });
    expect(tei.calls[0]!.authorization).toBeUndefined();
  });

  it("flags from the configured threshold", async () => {
    const strict = teiClient({ threshold: 0.9 });
    expect((await strict.classify(["a BORDERLINE case"]))[0]).toEqual({ flagged: false, score: 0.62 });
    expect((await teiClient({ threshold: 0.25 }).classify(["a FAINT hint"]))[0]!.flagged).toBe(true);
  });

  it("knows Prompt Guard 2's labels from the model name, and refuses labels that fit no class", async () => {
    const client = createInjectionClassifier({
      url: `${pg2.url}/predict`,
      model: "meta-llama/Llama-Prompt-Guard-2-22M",
    });
    expect(client.info.attackLabels).toEqual(["LABEL_1", "MALICIOUS"]);
    expect((await client.classify(["INJECT"]))[0]!.flagged).toBe(true);
    const wrong = createInjectionClassifier({ url: `${pg2.url}/predict`, labels: ["INJECTION"] });
    const error = await failure(wrong.classify(["INJECT"]));
    expect(error.message).toMatch(/labels \(LABEL_1, LABEL_0\) include none of the attack labels \(INJECTION\)/);
  });

  it("judges a long text in windows that fit the model, and finds an attack at its end", async () => {
    const long = `${"A calm sentence about the weather and the sea. ".repeat(150)} now INJECT`;
    const [verdict] = await teiClient().classify([long]);
    expect(verdict!.flagged).toBe(true);
    const sent = tei.calls.flatMap((call) => call.texts);
    expect(sent.length).toBeGreaterThan(2);
    for (const window of sent) expect(fakeTokenCount(window)).toBeLessThanOrEqual(512);
  });

  it("sends windows in batches, at most maxConcurrency requests at once", async () => {
    tei.script(() => ({ type: "default", delayMs: 30 }));
    const texts = Array.from({ length: 40 }, (_, i) => `distinct text number ${i}`);
    await teiClient({ batchSize: 16, maxConcurrency: 1 }).classify(texts);
    expect(tei.calls.map((call) => call.texts.length)).toEqual([16, 16, 8]);
    expect(tei.maxInFlight).toBe(1);
  });

  it("caches window verdicts under digests, and shares one request between concurrent callers", async () => {
    const events: UpstreamEvent[] = [];
    const client = teiClient({}, (e) => events.push(e));
    await client.classify(["same text", "same text"]);
    await client.classify(["same text"]);
    await Promise.all([client.classify(["other text"]), client.classify(["other text"])]);
    expect(tei.calls.map((call) => call.texts)).toEqual([["same text"], ["other text"]]);
    expect(events.filter((e) => e.kind === "cache").map((e) => (e as { hit: boolean }).hit)).toEqual([
      false,
      false,
      true,
      false,
      false,
    ]);
    const uncached = teiClient({ cache: { max: 0 } });
    await uncached.classify(["same text"]);
    await uncached.classify(["same text"]);
    expect(tei.calls).toHaveLength(4);
  });

  it("keeps the cache within its byte bound", async () => {
    // Each entry costs about 2 × 43 (digest) + 32 + 128 bytes: 1,024 bytes hold four.
    const client = teiClient({ cache: { maxBytes: 1024 } });
    const texts = Array.from({ length: 10 }, (_, i) => `cached text ${i}`);
    await client.classify(texts);
    await client.classify(texts.slice(0, 1));
    expect(tei.calls.at(-1)!.texts).toEqual(["cached text 0"]);
    await client.classify(texts.slice(-1));
    expect(tei.calls.at(-1)!.texts).toEqual(["cached text 0"]);
  });
});

describe("injection classifier: vLLM /classify", () => {
  const client = (options: Partial<InjectionClassifierOptions> = {}) =>
    createInjectionClassifier({
      url: `${vllm.url}/classify`,
      model: "protectai/deberta-v3-base-prompt-injection-v2",
      apiKey: KEY,
      timeoutMs: 10_000,
      ...options,
    });

  it("sends the model, the inputs and the truncation, with the key", async () => {
    const verdicts = await client().classify(["hello", "INJECT now", "a FAINT hint"]);
    expect(verdicts.map((v) => v.flagged)).toEqual([false, true, false]);
    expect(verdicts[2]!.score).toBeCloseTo(0.3);
    expect(vllm.calls[0]!.body).toEqual({
      model: "protectai/deberta-v3-base-prompt-injection-v2",
      input: ["hello", "INJECT now", "a FAINT hint"],
      truncate_prompt_tokens: 512,
    });
    expect(vllm.calls[0]!.authorizedWith(KEY)).toBe(true);
  });

  it("fails clearly on a wrong key or model, and needs the model name", async () => {
    expect((await failure(client({ apiKey: "wrong-key-123" }).classify(["x"]))).message).toBe(
      "The injection classifier answered 401 (check the API key)",
    );
    expect((await failure(client({ model: "other/model" }).classify(["x"]))).message).toBe(
      "The injection classifier answered 404",
    );
    expect(() => createInjectionClassifier({ url: `${vllm.url}/classify` })).toThrow(/needs the model name/);
  });
});

describe("injection classifier: options", () => {
  it("infers the API from the URL's path, or asks for it", () => {
    expect(createInjectionClassifier({ url: "http://h:1/predict" }).info.format).toBe("tei");
    expect(createInjectionClassifier({ url: "http://h:1/v1/classify", model: "m" }).info.format).toBe("vllm");
    expect(createInjectionClassifier({ url: "http://h:1/api", format: "tei" }).info.format).toBe("tei");
    expect(() => createInjectionClassifier({ url: "http://h:1/api" })).toThrow(/end it with \/predict/);
    expect(() => createInjectionClassifier({ url: "ftp://h/predict" })).toThrow(/http\(s\) URL/);
    expect(() => createInjectionClassifier({ url: "http://h:1/predict", threshold: 1.5 })).toThrow(
      /threshold must be a number from 0.01 to 0.99, got 1.5/,
    );
    expect(() =>
      createInjectionClassifier({ url: "http://h:1/predict", window: { tokens: 100, overlapTokens: 50 } }),
    ).toThrow(/less than half/);
  });

  it("keeps credentials out of the URL it reports", () => {
    expect(createInjectionClassifier({ url: "http://user:pw@h:1/predict?x=1" }).info.url).toBe("http://h:1/predict");
  });
});

describe("injection classifier: failures", () => {
  it("retries a 503 once, then answers", async () => {
    tei.script([{ type: "error", status: 503 }]);
    expect((await teiClient().classify(["INJECT"]))[0]!.flagged).toBe(true);
    expect(tei.calls).toHaveLength(2);
  });

  it("does not retry a 4xx, nor with maxRetries 0", async () => {
    tei.script([{ type: "json", status: 422, body: { error: "Tokenization error", error_type: "tokenizer" } }]);
    expect((await failure(teiClient().classify(["x"]))).message).toBe("The injection classifier answered 422");
    expect(tei.calls).toHaveLength(1);
    tei.script([{ type: "error", status: 500 }]);
    await failure(teiClient({ maxRetries: 0 }).classify(["y"]));
    expect(tei.calls).toHaveLength(2);
  });

  it("does not wait for a retry-after beyond the budget, and says so in a warning", async () => {
    const warnings: string[] = [];
    tei.script([{ type: "error", status: 429, headers: { "retry-after": "30" } }]);
    const client = createInjectionClassifier(
      { url: `${tei.url}/predict` },
      { logger: { warn: (_obj, msg) => warnings.push(msg) } },
    );
    expect((await failure(client.classify(["x"]))).message).toBe(
      "The injection classifier answered 429 (rate limited)",
    );
    expect(tei.calls).toHaveLength(1);
    expect(warnings[0]).toMatch(/asked to retry later than the time budget allows/);
  });

  it("times out a hanging server within the budget", async () => {
    tei.script(() => ({ type: "hang" }));
    const started = performance.now();
    const error = await failure(teiClient({ timeoutMs: 200 }).classify(["x"]));
    expect(error.message).toBe("The injection classifier timed out after 200 ms (2 attempts)");
    expect(performance.now() - started).toBeLessThan(classifierWorstCaseMs(200, 1) + 2000);
  });

  it("names malformed replies without repeating them", async () => {
    const cases: Array<[Parameters<FakeClassifier["script"]>[0], RegExp]> = [
      [{ type: "text", body: "{not json" }, /malformed body: invalid JSON/],
      [{ type: "json", body: { predictions: [] } }, /malformed body: not a list/],
      [{ type: "json", body: [[{ label: "INJECTION" }]] }, /without a label and a numeric score/],
      [{ type: "json", body: [[{ label: "INJECTION", score: 7 }]] }, /outside 0–1/],
      [{ type: "json", body: [[], []] }, /2 results for 1 inputs/],
      [{ type: "text", body: `[${"1,".repeat(300_000)}1]` }, /larger than 524288 bytes/],
      [{ type: "reset" }, /could not connect|failed while reading/],
    ];
    for (const [reply, message] of cases) {
      tei.script(Array.isArray(reply) ? reply : [reply, reply]);
      expect((await failure(teiClient({ cache: { max: 0 } }).classify(["x"]))).message).toMatch(message);
      tei.reset();
    }
  });

  it("rejects at once when the caller aborts", async () => {
    tei.script(() => ({ type: "hang" }));
    const controller = new AbortController();
    const pending = teiClient({ timeoutMs: 5000 }).classify(["x"], controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).message).toBe("The injection classifier was aborted by the caller");
  });
});

describe("injection classifier: window scores shared by replicas", () => {
  it("asks the model once per window whichever replica classifies it, never for another model, and keeps no text", async () => {
    const shared = memoryStore();
    const replica = (url = `${tei.url}/predict`) => createInjectionClassifier({ url, timeoutMs: 10_000 }, { shared });
    const texts = ["a plain question", "please INJECT this"];
    const first = await replica().classify(texts);
    const asked = tei.calls.length;
    expect(asked).toBeGreaterThan(0);
    expect(await replica().classify(texts)).toEqual(first);
    expect(tei.calls).toHaveLength(asked);
    expect([...shared.values.keys()].every((key) => key.startsWith("v:injection:"))).toBe(true);
    expect([...shared.values.keys(), ...shared.values.values()].join(" ")).not.toContain("question");
    // Another endpoint (another model) never takes these scores.
    await replica(`${pg2.url}/predict`).classify(texts);
    expect(pg2.calls.length).toBeGreaterThan(0);
    // A value this code did not write is ignored: the model is asked again.
    for (const key of shared.values.keys()) shared.values.set(key, "not a score");
    await replica().classify(texts);
    expect(tei.calls.length).toBeGreaterThan(asked);
  });
});
