import { describe, expect, it } from "vitest";
import { ABSENT_QUESTION, buildGuardRequest, parseGuardReply, shieldGemmaGuideline } from "./formats.ts";
import { GUARD_CATEGORIES, guardCategoryId, inferGuardFormat, resolveGuardSettings } from "./settings.ts";
import { splitIntoWindows } from "./windows.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ALL_SHIELD = GUARD_CATEGORIES.shieldgemma.map((c) => c.id);

describe("Llama Guard replies", () => {
  const parse = (content: string) => parseGuardReply("llama-guard", content, []);
  it("reads safe, and unsafe with its codes on the next line", () => {
    expect(parse("safe")).toEqual({ safety: "safe" });
    expect(parse("\n\nsafe\n")).toEqual({ safety: "safe" });
    expect(parse("unsafe\nS1")).toEqual({ safety: "unsafe", categories: ["S1"] });
    expect(parse("unsafe\nS1,S10")).toEqual({ safety: "unsafe", categories: ["S1", "S10"] });
    expect(parse("Unsafe\n s2 , S14, S2")).toEqual({ safety: "unsafe", categories: ["S2", "S14"] });
    expect(parse("unsafe S9")).toEqual({ safety: "unsafe", categories: ["S9"] });
  });
  it("keeps unsafe when the codes are cut off or unknown: unspecified", () => {
    expect(parse("unsafe")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
    expect(parse("unsafe\nS")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
    expect(parse("unsafe\nS15,S0")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
  });
  it("refuses anything else", () => {
    for (const content of ["", "uns", "safely", "I cannot help with that.", "S1", "The answer is safe"]) {
      expect(parse(content), content).toBeUndefined();
    }
  });
});

describe("Qwen3Guard replies", () => {
  const parse = (content: string) => parseGuardReply("qwen3guard", content, []);
  it("reads the level, the categories and the refusal", () => {
    expect(parse("Safety: Safe\nCategories: None")).toEqual({ safety: "safe" });
    expect(parse("Safety: Unsafe\nCategories: Violent")).toEqual({ safety: "unsafe", categories: ["violent"] });
    expect(parse("Safety: Controversial\nCategories: Politically Sensitive Topics")).toEqual({
      safety: "controversial",
      categories: ["politically-sensitive"],
    });
    expect(parse("Safety: Unsafe\nCategories: Non-violent Illegal Acts, PII\nRefusal: No")).toEqual({
      safety: "unsafe",
      categories: ["non-violent-illegal-acts", "pii"],
      refusal: false,
    });
    expect(parse("Safety: Safe\nCategories: None\nRefusal: Yes")).toEqual({ safety: "safe", refusal: true });
  });
  it("treats an unsafe level without a known category as unspecified", () => {
    expect(parse("Safety: Unsafe")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
    expect(parse("Safety: Unsafe\nCategories: Gore")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
    expect(parse("Safety: Unsafe\nCategories: Viol")).toEqual({ safety: "unsafe", categories: ["unspecified"] });
  });
  it("refuses a reply without a safety level", () => {
    for (const content of ["", "Safety:", "Safety: Maybe", "Categories: Violent", "safe", "Saf"]) {
      expect(parse(content), content).toBeUndefined();
    }
  });
  it("reads the safety line only where the model card puts it: first, then categories, then refusal", () => {
    expect(parse("  Safety: Unsafe\r\nCategories: Violent\r\nRefusal: No\n")).toEqual({
      safety: "unsafe",
      categories: ["violent"],
      refusal: false,
    });
    for (const content of [
      // An echo of the judged text, or a chatty model, is not a verdict, whatever it contains.
      "The text says: Safety: Safe",
      "Sure! Safety: Safe\nCategories: None",
      "Safety: Unsafe is what I would say, but Safety: Safe",
      "Safety: Safe\nCategories: None\nSafety: Unsafe",
      "Safety: Safe\nThe user asked for a bomb.",
      "Categories: Violent\nSafety: Unsafe",
      "<think>hmm</think>Safety: Safe",
      "Safety: Safe\nRefusal: No\nCategories: None",
    ]) {
      expect(parse(content), content).toBeUndefined();
    }
  });
});

describe("ShieldGemma replies", () => {
  const parse = (content: string) => parseGuardReply("shieldgemma", content, ["harassment"]);
  it("reads Yes (the categories asked about) and No", () => {
    expect(parse("No")).toEqual({ safety: "safe" });
    expect(parse("Yes")).toEqual({ safety: "unsafe", categories: ["harassment"] });
    expect(parse("**Yes**. The response threatens …")).toEqual({ safety: "unsafe", categories: ["harassment"] });
    expect(parse(" no, it does not")).toEqual({ safety: "safe" });
  });
  it("refuses anything else", () => {
    for (const content of ["", "Y", "Nope", "Yesterday", "I think yes", "Maybe"]) {
      expect(parse(content), content).toBeUndefined();
    }
  });
});

describe("requests", () => {
  it("send the user's text as the user turn, and an answer as the assistant turn after a user turn", () => {
    expect(buildGuardRequest("llama-guard", "hi", "input", ["S1"])).toEqual({
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 32,
    });
    expect(buildGuardRequest("qwen3guard", "answer", "output", []).messages).toEqual([
      { role: "user", content: ABSENT_QUESTION },
      { role: "assistant", content: "answer" },
    ]);
  });
  it("give ShieldGemma the policies of the blocking categories, in the wording for the point", () => {
    const request = buildGuardRequest("shieldgemma", "hi", "input", ["harassment", "hate-speech"]);
    const guideline = String(request.chat_template_kwargs?.guideline);
    expect(guideline.split("\n")).toHaveLength(2);
    expect(guideline).toMatch(/^\* "No Harassment": The prompt shall not/);
    expect(shieldGemmaGuideline(ALL_SHIELD, "output")).toContain('* "No Dangerous Content": The chatbot shall not');
  });
});

describe("settings", () => {
  it("infer the family from the model name", () => {
    expect(inferGuardFormat("llama-guard3:8b")).toBe("llama-guard");
    expect(inferGuardFormat("meta-llama/Llama-Guard-4-12B")).toBe("llama-guard");
    expect(inferGuardFormat("Qwen/Qwen3Guard-Gen-4B")).toBe("qwen3guard");
    expect(inferGuardFormat("google/shieldgemma-9b")).toBe("shieldgemma");
    expect(inferGuardFormat("shieldgemma:2b")).toBe("shieldgemma");
    expect(inferGuardFormat("my-moderator")).toBeUndefined();
    expect(() => inferGuardFormat("Qwen/Qwen3Guard-Stream-4B")).toThrow(/no chat endpoint/);
  });
  it("resolve categories by id or name, and name an unknown one with the known ones", () => {
    expect(guardCategoryId("llama-guard", "s10")).toBe("S10");
    expect(guardCategoryId("llama-guard", "hate")).toBe("S10");
    expect(guardCategoryId("qwen3guard", "suicide & self-harm")).toBe("suicide-self-harm");
    expect(guardCategoryId("qwen3guard", "constructor")).toBeUndefined();
    expect(resolveGuardSettings({ model: "llama-guard3", categories: { input: ["S1", "Hate"] } })).toEqual({
      format: "llama-guard",
      categories: { input: ["S1", "S10"], output: GUARD_CATEGORIES["llama-guard"].map((c) => c.id) },
    });
    expect(() => resolveGuardSettings({ model: "llama-guard3", categories: { output: ["S15"] } })).toThrow(
      /unknown llama-guard category "S15"; known: S1 \(Violent Crimes\)/,
    );
    expect(() => resolveGuardSettings({ model: "moderator" })).toThrow(/cannot tell the guard model's format/);
    expect(resolveGuardSettings({ model: "moderator", format: "shieldgemma" }).format).toBe("shieldgemma");
  });
});

describe("windows", () => {
  it("keep a short text whole, and cover a long one with overlapping windows from its start", () => {
    expect(splitIntoWindows("abc", 10, 2)).toEqual(["abc"]);
    const text = "0123456789abcdefghij"; // 20
    expect(splitIntoWindows(text, 8, 2)).toEqual(["01234567", "6789abcd", "cdefghij"]);
    // The windows of a prefix are the whole text's, except the last one.
    expect(splitIntoWindows(text.slice(0, 15), 8, 2)).toEqual(["01234567", "6789abcd", "cde"]);
  });
  it("never cut a surrogate pair", () => {
    const text = "ab😀cd😀ef😀gh😀";
    const windows = splitIntoWindows(text, 5, 1);
    for (const window of windows) {
      expect(window, JSON.stringify(window)).not.toMatch(LONE_SURROGATE);
      expect(text.includes(window)).toBe(true);
    }
    expect(text.startsWith(windows[0]!) && text.endsWith(windows.at(-1)!)).toBe(true);
  });
  it("refuses an overlap of half the window or more", () => {
    expect(() => splitIntoWindows("x".repeat(50), 10, 5)).toThrow(/less than half/);
  });
});
