import { difyReplyProblems, type ModerationInputParams } from "@dify-ext/protocol";
import { describe, expect, it } from "vitest";
import { cleanVerdict, EngineUnavailableError, type ModerationEngine, type TextVerdict } from "./engine.ts";
import {
  createModerationPolicy,
  type PointPolicy,
  type PolicyTrace,
  RECORDED_TERMS_LIMIT,
  type VerdictRecord,
} from "./policy.ts";

/** A small real engine for these tests: flags every occurrence of the given words. */
function wordEngine(
  name: string,
  words: string[],
  options: { spans?: boolean; replacement?: string } = {},
): ModerationEngine & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    name,
    calls,
    async moderate(texts) {
      calls.push([...texts]);
      return texts.map((text): TextVerdict => {
        const findings = words.flatMap((word) =>
          [...text.matchAll(new RegExp(word, "g"))].map((m) => ({
            start: m.index,
            end: m.index + word.length,
            label: word,
            ...(options.replacement === undefined ? {} : { replacement: options.replacement }),
          })),
        );
        if (findings.length === 0) return cleanVerdict();
        return {
          flagged: true,
          findings: options.spans === false ? [] : findings,
          categories: options.spans === false ? ["violence"] : [],
        };
      });
    },
  };
}

const failingEngine: ModerationEngine = {
  name: "upstream",
  async moderate() {
    throw new EngineUnavailableError("upstream", "upstream timed out");
  },
};

const block: PointPolicy = { action: "block", presetResponse: "Blocked.", onEngineError: "open" };
const mask: PointPolicy = { action: "mask", presetResponse: "Masked answer withheld.", onEngineError: "open" };

function params(inputs: Record<string, unknown>, query = ""): ModerationInputParams {
  return { app_id: "app", inputs, query };
}

function expectAccepted(point: "app.moderation.input" | "app.moderation.output", reply: unknown, request?: unknown) {
  expect(difyReplyProblems(point, reply, request)).toEqual([]);
}

describe("input moderation", () => {
  it("passes clean text unchanged", async () => {
    const policy = createModerationPolicy({ engines: [wordEngine("w", ["bad"])], input: block, output: block });
    const request = params({ topic: "gardening" }, "hello");
    const reply = await policy.moderateInput(request);
    expect(reply).toEqual({ flagged: false, action: "direct_output" });
    expectAccepted("app.moderation.input", reply, request);
  });

  it("blocks with the preset response", async () => {
    const policy = createModerationPolicy({ engines: [wordEngine("w", ["bad"])], input: block, output: block });
    const request = params({ topic: "a bad idea" }, "hello");
    const reply = await policy.moderateInput(request);
    expect(reply).toEqual({ flagged: true, action: "direct_output", preset_response: "Blocked." });
    expectAccepted("app.moderation.input", reply, request);
  });

  it("masks exactly the matched characters, echoes every input, and never touches non-text values", async () => {
    const policy = createModerationPolicy({ engines: [wordEngine("w", ["bad"])], input: mask, output: mask });
    const file = { type: "image", transfer_method: "remote_url", url: "https://x/bad.png" };
    const request = params(
      { topic: "a bad idea", count: 3, enabled: true, nothing: null, file, tags: ["bad", 7, "good"], clean: "fine" },
      "so bad, so bad",
    );
    const reply = await policy.moderateInput(request);
    expect(reply).toEqual({
      flagged: true,
      action: "overridden",
      inputs: {
        topic: "a *** idea",
        count: 3,
        enabled: true,
        nothing: null,
        file,
        tags: ["***", 7, "good"],
        clean: "fine",
      },
      query: "so ***, so ***",
    });
    expect((reply.inputs as { file: unknown }).file).toBe(file);
    expect(request.inputs.tags).toEqual(["bad", 7, "good"]);
    expectAccepted("app.moderation.input", reply, request);
  });

  it("sends all texts of a call to an engine at once", async () => {
    const engine = wordEngine("w", ["bad"]);
    const policy = createModerationPolicy({ engines: [engine], input: block, output: block });
    await policy.moderateInput(params({ a: "one", b: "two", n: 5, empty: "" }, "three"));
    expect(engine.calls).toEqual([["three", "one", "two"]]);
  });

  it("does not call the engines when there is no text", async () => {
    const engine = wordEngine("w", ["bad"]);
    const policy = createModerationPolicy({ engines: [engine], input: block, output: block });
    expect(await policy.moderateInput(params({ n: 1 }, ""))).toEqual({ flagged: false, action: "direct_output" });
    expect(engine.calls).toHaveLength(0);
  });

  it("blocks when a flagged text cannot be masked", async () => {
    const policy = createModerationPolicy({
      engines: [wordEngine("cat", ["bad"], { spans: false })],
      input: mask,
      output: mask,
    });
    const logFields: Record<string, unknown> = {};
    const reply = await policy.moderateInput(params({ topic: "bad" }), { logFields });
    expect(reply.action).toBe("direct_output");
    expect(logFields).toMatchObject({
      verdict: "block",
      engine: "cat",
      reason: "unmaskable",
      categories: ["violence"],
    });
  });

  it("stops at the first engine that blocks, and merges masks from several engines", async () => {
    const first = wordEngine("first", ["bad"]);
    const second = wordEngine("second", ["ugly"]);
    const blocking = createModerationPolicy({ engines: [first, second], input: block, output: block });
    await blocking.moderateInput(params({ t: "bad and ugly" }));
    expect(second.calls).toHaveLength(0);

    const masking = createModerationPolicy({
      engines: [wordEngine("a", ["bad an"]), wordEngine("b", ["and ugly"])],
      input: mask,
      output: mask,
    });
    const reply = await masking.moderateInput(params({ t: "bad and ugly!" }));
    expect(reply.inputs).toEqual({ t: "************!" });
  });

  it("applies the failure policy when an engine is unavailable", async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (fields: object) => warnings.push(fields), error: () => {} };
    const open = createModerationPolicy({
      engines: [failingEngine],
      input: { ...block, onEngineError: "open" },
      output: block,
    });
    expect(await open.moderateInput(params({ t: "anything" }), { logger })).toEqual({
      flagged: false,
      action: "direct_output",
    });
    expect(warnings).toHaveLength(1);
    const closed = createModerationPolicy({
      engines: [failingEngine],
      input: { ...block, onEngineError: "closed" },
      output: block,
    });
    expect(await closed.moderateInput(params({ t: "anything" }), { logger })).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Blocked.",
    });
  });

  it("treats an engine that throws anything else like an unavailable one", async () => {
    const broken: ModerationEngine = {
      name: "broken",
      moderate: async () => {
        throw new TypeError("bug");
      },
    };
    const policy = createModerationPolicy({
      engines: [broken],
      input: { ...block, onEngineError: "closed" },
      output: block,
    });
    const errors: unknown[] = [];
    const reply = await policy.moderateInput(params({ t: "x" }), {
      logger: { warn() {}, error: (f) => errors.push(f) },
    });
    expect(reply.action).toBe("direct_output");
    expect(errors).toHaveLength(1);
  });
});

describe("output moderation", () => {
  it("passes, blocks and masks", async () => {
    const engines = [wordEngine("w", ["bad"])];
    const blocking = createModerationPolicy({ engines, input: block, output: block });
    expect(await blocking.moderateOutput({ text: "fine" })).toEqual({ flagged: false, action: "direct_output" });
    const blocked = await blocking.moderateOutput({ text: "so bad" });
    expect(blocked).toEqual({ flagged: true, action: "direct_output", preset_response: "Blocked." });
    expectAccepted("app.moderation.output", blocked);
    const masking = createModerationPolicy({ engines, input: mask, output: mask });
    const masked = await masking.moderateOutput({ text: "so bad 😀 bad" });
    expect(masked).toEqual({ flagged: true, action: "overridden", text: "so *** 😀 ***" });
    expectAccepted("app.moderation.output", masked);
  });

  it("never flags its own preset responses", async () => {
    const engine = wordEngine("w", ["Blocked", "withheld"]);
    const policy = createModerationPolicy({ engines: [engine], input: block, output: mask });
    expect((await policy.moderateOutput({ text: "Blocked." })).flagged).toBe(false);
    expect((await policy.moderateOutput({ text: "Masked answer withheld." })).flagged).toBe(false);
    expect(engine.calls).toHaveLength(0);
  });

  it("judges the whole text of every call of a growing answer", async () => {
    const policy = createModerationPolicy({ engines: [wordEngine("w", ["bad"])], input: block, output: mask });
    const answer = `${"x".repeat(350)} bad ${"y".repeat(400)}`;
    const first = await policy.moderateOutput({ text: answer.slice(0, 300) });
    expect(first.flagged).toBe(false);
    const second = await policy.moderateOutput({ text: answer.slice(0, 700) });
    expect(second).toEqual({ flagged: true, action: "overridden", text: answer.slice(0, 700).replace("bad", "***") });
    const final = await policy.moderateOutput({ text: answer });
    expect(final.text).toHaveLength(answer.length);
    expect(final.text!.indexOf("***")).toBe(351);
  });
});

describe("texts with very many matches", () => {
  // 125,000 findings for one text: spreading them into a call's arguments overflows the stack.
  const text = "傻逼".repeat(125_000);
  const everyMatch = wordEngine("w", ["傻逼"]);

  it("masks an answer with 125,000 matches instead of failing", async () => {
    const policy = createModerationPolicy({ engines: [everyMatch], input: mask, output: mask });
    const reply = await policy.moderateOutput({ text });
    expect(reply).toEqual({ flagged: true, action: "overridden", text: "*".repeat(text.length) });
  });

  it("masks a query and an input with 125,000 matches each", async () => {
    const policy = createModerationPolicy({ engines: [everyMatch], input: mask, output: mask });
    const request = params({ note: text }, text);
    const reply = await policy.moderateInput(request);
    expect(reply).toMatchObject({
      flagged: true,
      action: "overridden",
      query: "*".repeat(text.length),
      inputs: { note: "*".repeat(text.length) },
    });
    expectAccepted("app.moderation.input", reply, request);
  });
});

describe("configuration", () => {
  it("refuses an empty preset response, no engines, and a bad mask character", () => {
    const engines = [wordEngine("w", [])];
    expect(() => createModerationPolicy({ engines, input: { ...block, presetResponse: " " }, output: block })).toThrow(
      /preset/,
    );
    expect(() => createModerationPolicy({ engines: [], input: block, output: block })).toThrow(/engine/);
    expect(() => createModerationPolicy({ engines, input: block, output: block, maskCharacter: "**" })).toThrow(/mask/);
  });
});

describe("the trace (the playground's explain)", () => {
  it("reports the texts, their sources and every engine run, and changes nothing in the reply", async () => {
    const first = wordEngine("first", ["bad"]);
    const second = wordEngine("second", ["worse"]);
    const policy = createModerationPolicy({
      engines: [first, failingEngine, second],
      input: mask,
      output: block,
      maskCharacter: "#",
    });
    const request = params({ topic: "bad", tags: ["fine", "worse"], n: 1 }, "bad and worse");
    const traces: PolicyTrace[] = [];
    const traced = await policy.moderateInput(request, { trace: (trace) => traces.push(trace) });
    expect(traced).toEqual(await policy.moderateInput(request));
    expect(traces).toHaveLength(1);
    const [trace] = traces;
    expect(trace).toMatchObject({
      point: "input",
      action: "mask",
      maskCharacter: "#",
      texts: ["bad and worse", "bad", "fine", "worse"],
      sources: ["query", "inputs.topic", "inputs.tags[0]", "inputs.tags[1]"],
    });
    expect(trace!.runs.map((run) => [run.engine, run.error ?? "judged", run.verdicts?.map((v) => v.flagged)])).toEqual([
      ["first", "judged", [true, true, false, false]],
      ["upstream", "upstream timed out", undefined],
      ["second", "judged", [true, false, false, true]],
    ]);
    for (const run of trace!.runs) expect(run.ms).toBeGreaterThanOrEqual(0);
  });

  it("stops where the policy stops (a block), and reports an empty trace for text it never judges", async () => {
    const second = wordEngine("second", ["bad"]);
    const policy = createModerationPolicy({
      engines: [wordEngine("first", ["bad"]), second],
      input: block,
      output: block,
    });
    const traces: PolicyTrace[] = [];
    await policy.moderateOutput({ app_id: "a", text: "bad" }, { trace: (trace) => traces.push(trace) });
    expect(traces[0]!.runs.map((run) => run.engine)).toEqual(["first"]);
    expect(second.calls).toEqual([]);
    await policy.moderateOutput({ app_id: "a", text: "Blocked." }, { trace: (trace) => traces.push(trace) });
    expect(traces[1]).toMatchObject({ texts: [], sources: [], runs: [] });
  });
});

describe("shadow mode and the verdict record", () => {
  it("judges and records in shadow mode but tells Dify nothing was flagged", async () => {
    const records: VerdictRecord[] = [];
    const logFields: Record<string, unknown> = {};
    const policy = createModerationPolicy({
      engines: [wordEngine("w", ["bad", "ugly"])],
      input: block,
      output: mask,
      mode: "shadow",
    });
    const input = await policy.moderateInput(params({ t: "bad and ugly" }), {
      logFields,
      onVerdict: (record) => records.push(record),
    });
    expect(input).toEqual({ flagged: false, action: "direct_output" });
    const output = await policy.moderateOutput(
      { app_id: "app", text: "so ugly" },
      { onVerdict: (record) => records.push(record) },
    );
    expect(output).toEqual({ flagged: false, action: "direct_output" });
    expect(logFields).toMatchObject({ verdict: "block", engine: "w", mode: "shadow" });
    expect(records).toEqual([
      {
        point: "input",
        verdict: "block",
        mode: "shadow",
        engines: ["w"],
        terms: ["bad", "ugly"],
        categories: ["other"],
        category: "other",
        rules: [],
      },
      {
        point: "output",
        verdict: "mask",
        mode: "shadow",
        engines: ["w"],
        terms: ["ugly"],
        categories: ["other"],
        category: "other",
        rules: [],
      },
    ]);
  });

  it("does not block on a failing engine in shadow mode, and records why it would have", async () => {
    const records: VerdictRecord[] = [];
    const policy = createModerationPolicy({
      engines: [failingEngine],
      input: { ...block, onEngineError: "closed" },
      output: block,
      mode: "shadow",
    });
    const reply = await policy.moderateInput(params({ t: "anything" }), { onVerdict: (r) => records.push(r) });
    expect(reply).toEqual({ flagged: false, action: "direct_output" });
    expect(records[0]).toMatchObject({ verdict: "block", reason: "engine-error", engines: ["upstream"] });
  });

  it("records passes, categories, and at most RECORDED_TERMS_LIMIT distinct terms in enforce mode", async () => {
    const records: VerdictRecord[] = [];
    const words = Array.from({ length: RECORDED_TERMS_LIMIT + 5 }, (_, i) => `w${String(i).padStart(2, "0")}x`);
    const policy = createModerationPolicy({
      engines: [wordEngine("w", words), wordEngine("cat", ["bad"], { spans: false })],
      input: block,
      output: block,
    });
    const onVerdict = (record: VerdictRecord) => records.push(record);
    expect(await policy.moderateInput(params({ t: "fine" }), { onVerdict })).toEqual(inputPassReply);
    const blocked = await policy.moderateInput(params({ t: `${words.join(" ")} ${words.join(" ")}` }), { onVerdict });
    expect(blocked).toMatchObject({ flagged: true, action: "direct_output" });
    await policy.moderateOutput({ app_id: "app", text: "bad" }, { onVerdict });
    expect(records[0]).toEqual({
      point: "input",
      verdict: "pass",
      mode: "enforce",
      engines: [],
      terms: [],
      categories: [],
      rules: [],
    });
    expect(records[1]!.terms).toEqual(words.slice(0, RECORDED_TERMS_LIMIT));
    expect(records[2]).toMatchObject({ verdict: "block", engines: ["cat"], terms: [], categories: ["violence"] });
  });

  it("refuses an unknown mode", () => {
    expect(() =>
      createModerationPolicy({ engines: [wordEngine("w", [])], input: block, output: block, mode: "audit" as never }),
    ).toThrow(/unknown policy mode "audit"/);
  });
});

const inputPassReply = { flagged: false, action: "direct_output" };
describe("label masks (findings carrying a replacement)", () => {
  it("write the label in input and output, merged with another engine's stars, masking nothing twice", async () => {
    const labels = wordEngine("pii", ["bob@example.com"], { replacement: "[EMAIL]" });
    const words = wordEngine("words", ["bob", "darn"]);
    const policy = createModerationPolicy({ engines: [words, labels], input: mask, output: mask });
    const request = params({ note: "darn, bob@example.com", n: 1 }, "mail bob@example.com now");
    const reply = await policy.moderateInput(request);
    expectAccepted("app.moderation.input", reply, request);
    expect(reply).toEqual({
      flagged: true,
      action: "overridden",
      inputs: { note: "****, [EMAIL]", n: 1 },
      query: "mail [EMAIL] now",
    });
    expect(await policy.moderateOutput({ app_id: "app", text: "darn: bob@example.com" })).toEqual({
      flagged: true,
      action: "overridden",
      text: "****: [EMAIL]",
    });
  });
});

/** A small real engine: flags each listed word with its category; `whole` judges whole texts (no spans). */
function categoryEngine(
  name: string,
  words: Record<string, string>,
  options: { whole?: boolean } = {},
): ModerationEngine & { calls: number } {
  const engine = {
    name,
    calls: 0,
    async moderate(texts: readonly string[]) {
      engine.calls++;
      return texts.map((text): TextVerdict => {
        const findings = Object.entries(words).flatMap(([word, category]) =>
          [...text.matchAll(new RegExp(word, "g"))].map((m) => ({
            start: m.index,
            end: m.index + word.length,
            label: word,
            category,
          })),
        );
        if (findings.length === 0) return cleanVerdict();
        const categories = [...new Set(findings.map((finding) => finding.category))];
        return options.whole
          ? { flagged: true, findings: [], categories, rules: findings.map((f) => f.label) }
          : { flagged: true, findings, categories, rules: [`${name}-list`] };
      });
    },
  };
  return engine;
}

describe("per-category actions", () => {
  const words = { "bob@example.com": "pii.email", "555-2671": "pii.phone", slur: "hate", darn: "profanity" };

  it("mask personal data while blocking hate: block beats mask", async () => {
    const policy = createModerationPolicy({
      engines: [categoryEngine("e", words)],
      input: { ...block, categories: { pii: { action: "mask" } } },
      output: block,
    });
    expect(await policy.moderateInput(params({ t: "mail bob@example.com" }))).toEqual({
      flagged: true,
      action: "overridden",
      inputs: { t: "mail ***************" },
      query: "",
    });
    const records: VerdictRecord[] = [];
    const reply = await policy.moderateInput(params({ t: "mail bob@example.com, slur" }), {
      onVerdict: (r) => records.push(r),
    });
    expect(reply).toEqual({ flagged: true, action: "direct_output", preset_response: "Blocked." });
    expect(records[0]).toMatchObject({
      verdict: "block",
      categories: ["pii.email", "hate"],
      category: "hate",
      rules: ["e-list"],
    });
  });

  it("take the most specific rule: the category's own, then its family's, then the point's", async () => {
    const policy = createModerationPolicy({
      engines: [categoryEngine("e", words)],
      input: { ...mask, categories: { pii: { action: "block" }, "pii.email": { action: "pass" } } },
      output: mask,
    });
    // pii.email passes by its own rule; pii.phone blocks by the family's; profanity masks by the point's.
    expect(await policy.moderateInput(params({ t: "bob@example.com darn" }))).toMatchObject({
      action: "overridden",
      inputs: { t: "bob@example.com ****" },
    });
    expect(await policy.moderateInput(params({ t: "bob@example.com 555-2671" }))).toMatchObject({
      action: "direct_output",
    });
  });

  it("shadow records and lets through; pass is as if nothing matched", async () => {
    const records: VerdictRecord[] = [];
    const logFields: Record<string, unknown> = {};
    const policy = createModerationPolicy({
      engines: [categoryEngine("e", words)],
      input: {
        ...block,
        categories: { profanity: { action: "shadow" }, pii: { action: "pass" }, hate: { action: "mask" } },
      },
      output: block,
    });
    const onVerdict = (r: VerdictRecord) => records.push(r);
    expect(await policy.moderateInput(params({ t: "darn" }), { onVerdict, logFields })).toEqual(inputPassReply);
    expect(records[0]).toMatchObject({
      verdict: "shadow",
      categories: ["profanity"],
      category: "profanity",
      terms: ["darn"],
    });
    expect(logFields).toMatchObject({ verdict: "shadow", categories: ["profanity"] });
    expect(await policy.moderateInput(params({ t: "bob@example.com" }), { onVerdict })).toEqual(inputPassReply);
    expect(records[1]).toMatchObject({ verdict: "pass", categories: [], terms: [], rules: [] });
    // A shadow category within a mask verdict is recorded as shadowed and left unmasked.
    expect(await policy.moderateInput(params({ t: "darn slur" }), { onVerdict })).toMatchObject({
      inputs: { t: "darn ****" },
    });
    expect(records[2]).toMatchObject({
      verdict: "mask",
      category: "hate",
      // In the order the engine reported them (this test engine: by word, not by place).
      categories: ["hate", "profanity"],
      shadowed: ["profanity"],
    });
  });

  it("stop at the first engine with a block finding, and run on past engines whose findings all pass", async () => {
    const first = categoryEngine("first", { darn: "profanity" });
    const second = categoryEngine("second", { darn: "hate" });
    const blocking = createModerationPolicy({ engines: [first, second], input: block, output: block });
    await blocking.moderateInput(params({ t: "darn" }));
    expect([first.calls, second.calls]).toEqual([1, 0]);
    const passing = createModerationPolicy({
      engines: [first, second],
      input: { ...block, categories: { profanity: { action: "pass" } } },
      output: block,
    });
    const records: VerdictRecord[] = [];
    await passing.moderateInput(params({ t: "darn" }), { onVerdict: (r) => records.push(r) });
    expect([first.calls, second.calls]).toEqual([2, 1]);
    expect(records[0]).toMatchObject({ verdict: "block", engines: ["second"], categories: ["hate"] });
  });

  it("block a whole-text verdict whose category masks (nothing to mask), naming the category", async () => {
    const records: VerdictRecord[] = [];
    const policy = createModerationPolicy({
      engines: [categoryEngine("openai", { hateful: "hate" }, { whole: true })],
      input: { ...block, categories: { hate: { action: "mask" } } },
      output: block,
    });
    const reply = await policy.moderateInput(params({ t: "hateful" }), { onVerdict: (r) => records.push(r) });
    expect(reply).toMatchObject({ action: "direct_output" });
    expect(records[0]).toMatchObject({ verdict: "block", reason: "unmaskable", category: "hate", rules: ["hateful"] });
  });

  it("refuse a rule for a category outside the vocabulary, or an unknown action", () => {
    const make = (categories: PointPolicy["categories"]) => () =>
      createModerationPolicy({ engines: [wordEngine("w", [])], input: { ...block, categories }, output: block });
    expect(make({ gore: { action: "block" } })).toThrow(/input category rule: unknown category "gore"/);
    expect(make({ pii: { action: "erase" as never } })).toThrow(/input category rule pii: the action must be one of/);
    expect(make({ "custom.mine": { action: "shadow" }, secret: { action: "mask" } })).not.toThrow();
  });
});

describe("reply templates", () => {
  const engine = () => categoryEngine("keywords", { slur: "hate", darn: "profanity", kill: "violence" });

  it("fill in the category, categories, engine, app id and request id", async () => {
    const policy = createModerationPolicy({
      engines: [engine()],
      input: {
        ...block,
        presetResponse: "Blocked ({category}; {categories}) by {engine} in {app_id}, ref {request_id}.",
      },
      output: block,
    });
    const reply = await policy.moderateInput(params({ t: "darn slur" }), { requestId: "req-42" });
    expect(reply).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Blocked (hate; hate, profanity) by keywords in app, ref req-42.",
    });
  });

  it("take the reply of the first deciding category that has its own, else the point's", async () => {
    const policy = createModerationPolicy({
      engines: [engine()],
      input: {
        ...block,
        categories: {
          hate: { presetResponse: "No hate speech here." },
          violence: { action: "shadow", presetResponse: "never shown" },
        },
      },
      output: block,
    });
    expect(await policy.moderateInput(params({ t: "darn slur kill" }))).toMatchObject({
      preset_response: "No hate speech here.",
    });
    expect(await policy.moderateInput(params({ t: "darn kill" }))).toMatchObject({ preset_response: "Blocked." });
  });

  it("say unknown for the category when an engine failed and the failure policy blocked, with the point's reply", async () => {
    const policy = createModerationPolicy({
      engines: [failingEngine],
      input: {
        ...block,
        presetResponse: "Blocked: {category} ({engine})",
        onEngineError: "closed",
        categories: { other: { presetResponse: "never for a failure" } },
      },
      output: block,
    });
    expect(await policy.moderateInput(params({ t: "x" }))).toMatchObject({
      preset_response: "Blocked: unknown (upstream)",
    });
  });

  it("refuse an unknown placeholder, and {terms} without the opt-in, naming it", () => {
    const make =
      (presetResponse: string, replyShowsTerms = false) =>
      () =>
        createModerationPolicy({
          engines: [wordEngine("w", [])],
          input: block,
          output: { ...block, presetResponse },
          replyShowsTerms,
        });
    expect(make("Blocked: {reason}")).toThrow(
      /the output preset response: unknown placeholder \{reason\}; known: \{category\}/,
    );
    expect(make("Blocked: {terms}")).toThrow(/\{terms\} shows the matched list terms to the end user/);
    expect(make("Blocked: {terms}", true)).not.toThrow();
    expect(make("Literal {{braces}} and { spaced }")).not.toThrow();
  });

  it("never judge the service's own rendered reply when Dify sends it back, from this or another replica", async () => {
    const judged = engine();
    const policy = createModerationPolicy({
      engines: [judged],
      input: { ...block, presetResponse: "Your message was blocked ({category}). Ref {request_id}, app {app_id}." },
      output: block,
    });
    const first = await policy.moderateInput(params({ t: "slur" }), { requestId: "abc-1" });
    const shown = (first as { preset_response: string }).preset_response;
    expect(shown).toBe("Your message was blocked (hate). Ref abc-1, app app.");
    const calls = judged.calls;
    expect(await policy.moderateOutput({ app_id: "app", text: shown })).toEqual(outputPassReply);
    // Rendered by another replica (another request id): recognised by its shape.
    const elsewhere = "Your message was blocked (profanity). Ref k8wj9i-18uu, app app.";
    expect(await policy.moderateOutput({ app_id: "app", text: elsewhere })).toEqual(outputPassReply);
    expect(judged.calls).toBe(calls);
    // Not the service's reply: another app's id, or words where only a category can be, are judged.
    const forged = "Your message was blocked (slur slur). Ref x, app app.";
    expect(await policy.moderateOutput({ app_id: "app", text: forged })).toMatchObject({ flagged: true });
    expect(
      await policy.moderateOutput({ app_id: "other", text: "Your message was blocked (hate). Ref x, app slur." }),
    ).toMatchObject({ flagged: true });
  });

  it("recognise a reply quoting {terms} only once it was sent", async () => {
    const policy = createModerationPolicy({
      engines: [engine()],
      input: { ...block, presetResponse: "Please avoid: {terms}" },
      output: block,
      replyShowsTerms: true,
    });
    expect(await policy.moderateOutput({ app_id: "app", text: "Please avoid: slur" })).toMatchObject({ flagged: true });
    expect(await policy.moderateInput(params({ t: "slur" }))).toMatchObject({ preset_response: "Please avoid: slur" });
    expect(await policy.moderateOutput({ app_id: "app", text: "Please avoid: slur" })).toEqual(outputPassReply);
  });
});

const outputPassReply = { flagged: false, action: "direct_output" };
