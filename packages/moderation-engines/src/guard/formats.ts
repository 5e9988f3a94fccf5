/**
 * What the guard engine sends each model family and how it reads the answer. Pure functions: no
 * SDK, no I/O, so every reply a model could produce can be tested directly.
 *
 * All three families are served with their own chat template (vLLM, Ollama, SGLang), which builds
 * the family's moderation prompt from a plain conversation: a user turn to judge the user's text,
 * and a user turn followed by an assistant turn to judge the model's answer (the role judged is the
 * last one: Llama Guard's `User` vs `Agent`, Qwen3Guard's prompt vs response moderation,
 * ShieldGemma's `Human Question` vs `Chatbot Response`). See docs/engine-guard.md.
 */
import type { ModerationPoint } from "../engine.ts";
import { GUARD_CATEGORIES, type GuardFormat, UNSPECIFIED_CATEGORY } from "./settings.ts";

/** One message of an OpenAI-style chat. */
export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

/** The variable part of a chat completion request for one window. */
export interface GuardRequest {
  messages: ChatMessage[];
  /** Tokens the model may generate: enough for the longest well-formed verdict of the family. */
  max_tokens: number;
  /** For templates that take arguments (ShieldGemma's `guideline`, passed by vLLM and SGLang). */
  chat_template_kwargs?: Record<string, unknown>;
}

/** A verdict as the model gave it, before the blocking settings apply. */
export type ParsedVerdict =
  | { safety: "safe"; refusal?: boolean }
  | { safety: "unsafe" | "controversial"; categories: string[]; refusal?: boolean };

/**
 * Dify's output moderation sends the answer only, not the question it answers. The families judge
 * an answer as the assistant turn after a user turn, so the user turn says the question is missing
 * rather than inventing one.
 */
export const ABSENT_QUESTION = "(The user's message is not available; judge the assistant's reply on its own.)";

/**
 * ShieldGemma's policies, as the model card writes them: one text for a user's prompt and one for a
 * chatbot's response per harm type. The engine puts the policies of the blocking categories into
 * the `guideline` of the chat template (see docs/engine-guard.md for Ollama, whose template carries
 * the same four policies itself).
 */
export const SHIELDGEMMA_POLICIES: Readonly<Record<string, { title: string; prompt: string; response: string }>> = {
  "dangerous-content": {
    title: "No Dangerous Content",
    prompt:
      "The prompt shall not contain or seek generation of content that harming oneself and/or others (e.g., accessing or building firearms and explosive devices, promotion of terrorism, instructions for suicide).",
    response:
      "The chatbot shall not generate content that harming oneself and/or others (e.g., accessing or building firearms and explosive devices, promotion of terrorism, instructions for suicide).",
  },
  harassment: {
    title: "No Harassment",
    prompt:
      "The prompt shall not contain or seek generation of content that is malicious, intimidating, bullying, or abusive content targeting another individual (e.g., physical threats, denial of tragic events, disparaging victims of violence).",
    response:
      "The chatbot shall not generate content that is malicious, intimidating, bullying, or abusive content targeting another individual (e.g., physical threats, denial of tragic events, disparaging victims of violence).",
  },
  "hate-speech": {
    title: "No Hate Speech",
    prompt:
      "The prompt shall not contain or seek generation of content that targeting identity and/or protected attributes (e.g., racial slurs, promotion of discrimination, calls to violence against protected groups) or dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, disability, age, nationality, veteran status, sexual orientation, gender, gender identity, caste, or any other protected status.",
    response:
      "The chatbot shall not generate content that targeting identity and/or protected attributes (e.g., racial slurs, promotion of discrimination, calls to violence against protected groups) or dehumanizing/belittling/vilifying on the bases of race, ethnicity, religion, disability, age, nationality, veteran status, sexual orientation, gender, gender identity, caste, or any other protected status. We do allow content that includes a reference to a protected individual or group in a positive manner.",
  },
  "sexually-explicit": {
    title: "No Sexually Explicit Information",
    prompt:
      "The prompt shall not contain or seek generation of content that contains references to sexual acts or other lewd content (e.g., sexually graphic descriptions, content aimed at causing arousal). Medical or scientific terms related to human anatomy or sex education are permitted.",
    response:
      "The chatbot shall not generate content that contains references to sexual acts or other lewd content (e.g., sexually graphic descriptions, content aimed at causing arousal). Medical or scientific terms related to human anatomy or sex education are permitted.",
  },
};

/** The guideline ShieldGemma's chat template takes: one `* "Title": policy` line per category. */
export function shieldGemmaGuideline(categories: readonly string[], point: ModerationPoint): string {
  return categories
    .map((id) => SHIELDGEMMA_POLICIES[id])
    .filter((policy) => policy !== undefined)
    .map((policy) => `* "${policy.title}": ${point === "input" ? policy.prompt : policy.response}`)
    .join("\n");
}

const MAX_TOKENS: Record<GuardFormat, number> = {
  // `unsafe\nS1,S2,…`: a few tokens per code.
  "llama-guard": 32,
  // `Safety: …\nCategories: …, …\nRefusal: …`
  qwen3guard: 64,
  // `Yes` or `No` is the first token; the rest would be an explanation the engine does not read.
  shieldgemma: 4,
};

/**
 * The request for one window of text at one point. `blocking` are the categories that block at this
 * point (ShieldGemma asks only about those).
 */
export function buildGuardRequest(
  format: GuardFormat,
  text: string,
  point: ModerationPoint,
  blocking: readonly string[],
): GuardRequest {
  const messages: ChatMessage[] =
    point === "input"
      ? [{ role: "user", content: text }]
      : [
          { role: "user", content: ABSENT_QUESTION },
          { role: "assistant", content: text },
        ];
  const request: GuardRequest = { messages, max_tokens: MAX_TOKENS[format] };
  if (format === "shieldgemma") request.chat_template_kwargs = { guideline: shieldGemmaGuideline(blocking, point) };
  return request;
}

/**
 * Reads a model's answer in its family's format, or `undefined` when it is not in that format
 * (the engine then reports the model unavailable, and the failure policy answers). `asked` are the
 * categories the request asked about (ShieldGemma's `Yes` names no category of its own).
 */
export function parseGuardReply(
  format: GuardFormat,
  content: string,
  asked: readonly string[],
): ParsedVerdict | undefined {
  switch (format) {
    case "llama-guard":
      return parseLlamaGuard(content);
    case "qwen3guard":
      return parseQwen3Guard(content);
    case "shieldgemma":
      return parseShieldGemma(content, asked);
  }
}

const LLAMA_GUARD_CODES = new Set(GUARD_CATEGORIES["llama-guard"].map((category) => category.id));

/**
 * Llama Guard 3 and 4: `safe`, or `unsafe` and on the next line the violated codes, comma-separated
 * (`unsafe\nS1,S10`). A known code is kept; an unknown one (`S99`) is not a category; `unsafe`
 * without any known code is {@link UNSPECIFIED_CATEGORY}.
 */
function parseLlamaGuard(content: string): ParsedVerdict | undefined {
  const match = /^\s*(safe|unsafe)\b/i.exec(content);
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === "safe") return { safety: "safe" };
  const categories: string[] = [];
  for (const [, digits] of content.slice(match[0].length).matchAll(/\bS(\d{1,3})\b/gi)) {
    const code = `S${Number(digits)}`;
    if (LLAMA_GUARD_CODES.has(code) && !categories.includes(code)) categories.push(code);
  }
  return { safety: "unsafe", categories: categories.length > 0 ? categories : [UNSPECIFIED_CATEGORY] };
}

/** Names Qwen3Guard writes for its categories, lower-cased, to their ids (with the policy's long name for PII). */
const QWEN_NAMES = new Map<string, string>([
  ...GUARD_CATEGORIES.qwen3guard.map((category): [string, string] => [category.name.toLowerCase(), category.id]),
  ["personally identifiable information", "pii"],
]);

/**
 * Qwen3Guard-Gen's reply, as its model card gives it: the first line `Safety: Safe|Unsafe|Controversial`,
 * then `Categories: A, B` (or `None`), and when judging a response `Refusal: Yes|No`, one per line,
 * and nothing else. A reply in another shape (text before the safety line, a second verdict, an
 * echo of the judged text) is not this format: a model that answers otherwise is not working.
 */
const QWEN3GUARD_REPLY =
  /^\s*Safety:[ \t]*(Safe|Unsafe|Controversial)[ \t]*(?:\r?\n[ \t]*Categories:[ \t]*([^\r\n]*))?(?:\r?\n[ \t]*Refusal:[ \t]*(Yes|No)[ \t]*)?\s*$/i;

/**
 * Qwen3Guard-Gen ({@link QWEN3GUARD_REPLY}). Names not in its policy are not categories; an unsafe or
 * controversial verdict without a known category is {@link UNSPECIFIED_CATEGORY}.
 */
function parseQwen3Guard(content: string): ParsedVerdict | undefined {
  const reply = QWEN3GUARD_REPLY.exec(content);
  if (!reply) return undefined;
  const refusal = reply[3] === undefined ? {} : { refusal: reply[3].toLowerCase() === "yes" };
  const level = reply[1]!.toLowerCase() as "safe" | "unsafe" | "controversial";
  if (level === "safe") return { safety: "safe", ...refusal };
  const categories: string[] = [];
  for (const part of (reply[2] ?? "").split(",")) {
    const id = QWEN_NAMES.get(part.trim().toLowerCase());
    if (id !== undefined && !categories.includes(id)) categories.push(id);
  }
  return { safety: level, categories: categories.length > 0 ? categories : [UNSPECIFIED_CATEGORY], ...refusal };
}

/**
 * ShieldGemma: its answer starts with `Yes` (the text violates the policies asked about) or `No`.
 * Markdown emphasis or quotes before the word are tolerated; anything else is not an answer.
 */
function parseShieldGemma(content: string, asked: readonly string[]): ParsedVerdict | undefined {
  const match = /^[\s*_"'`]*(yes|no)\b/i.exec(content);
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === "no") return { safety: "safe" };
  return { safety: "unsafe", categories: asked.length > 0 ? [...asked] : [UNSPECIFIED_CATEGORY] };
}
