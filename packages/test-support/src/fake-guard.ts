/**
 * A fake of a self-hosted guard model behind an OpenAI-compatible chat endpoint
 * (`POST /v1/chat/completions`, as vLLM, Ollama and SGLang serve it): a real `node:http` server on
 * 127.0.0.1 that checks requests as those servers and the models' chat templates do (roles must
 * alternate, starting with the user), and answers in each family's real output format:
 *
 * - Llama Guard 3/4: `safe`, or `unsafe` and the codes on the next line (`unsafe\nS1,S10`);
 * - Qwen3Guard-Gen: `Safety: …\nCategories: …`, and `Refusal: Yes|No` when judging a response;
 * - ShieldGemma: `Yes` or `No` (only for the policies in the request's `guideline`, when one is
 *   sent through `chat_template_kwargs` as vLLM passes it to the template; all four otherwise, as
 *   Ollama's template carries them).
 *
 * The family comes from the model name (or the `format` option). By default the verdict comes from
 * marker words in the judged text (the last message), see {@link GUARD_MARKERS}. Tests can script
 * any reply text (malformed, truncated, a refusal to classify), an OpenAI-style refusal, and every
 * failure the fake OpenAI has (HTTP errors, hangs, resets, bodies dropped or stalled, delays).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeControls, RecordedCall, ScriptedReply } from "./fake-upstream.ts";
import { answerScripted, FakeState, recordRequest, send, sendError, serveFake } from "./fake-upstream.ts";

export type FakeGuardFormat = "llama-guard" | "qwen3guard" | "shieldgemma";

/** What one marker word means to each family; a family without an entry finds the text safe. */
export interface GuardMarker {
  llamaGuard?: string;
  qwen3guard?: { safety: "Unsafe" | "Controversial"; category: string };
  /** The ShieldGemma policy title (as in the guideline) the text violates. */
  shieldgemma?: string;
}

/** Marker words of the default verdicts (case-sensitive, anywhere in the judged text). */
export const GUARD_MARKERS: Readonly<Record<string, GuardMarker>> = {
  VIOLENT: {
    llamaGuard: "S1",
    qwen3guard: { safety: "Unsafe", category: "Violent" },
    shieldgemma: "No Dangerous Content",
  },
  HATEFUL: {
    llamaGuard: "S10",
    qwen3guard: { safety: "Unsafe", category: "Unethical Acts" },
    shieldgemma: "No Hate Speech",
  },
  SELFHARM: {
    llamaGuard: "S11",
    qwen3guard: { safety: "Unsafe", category: "Suicide & Self-Harm" },
    shieldgemma: "No Dangerous Content",
  },
  EXPLICIT: {
    llamaGuard: "S12",
    qwen3guard: { safety: "Unsafe", category: "Sexual Content or Sexual Acts" },
    shieldgemma: "No Sexually Explicit Information",
  },
  PRIVATE: { llamaGuard: "S7", qwen3guard: { safety: "Unsafe", category: "PII" } },
  ADVICE: { llamaGuard: "S6" },
  POLITICAL: { llamaGuard: "S13", qwen3guard: { safety: "Controversial", category: "Politically Sensitive Topics" } },
  JAILBREAK: { qwen3guard: { safety: "Unsafe", category: "Jailbreak" } },
  HARASSING: { llamaGuard: "S10", shieldgemma: "No Harassment" },
};

/** A request the fake received. */
export interface FakeGuardCall extends RecordedCall {
  /** `body.model`, or `""`. */
  model: string;
  /** `body.messages` when it is an array of `{role, content}`, else `[]`. */
  messages: Array<{ role: string; content: string }>;
  /** The judged text: the content of the last message (`""` when none). */
  judged: string;
  /** `input` when the last message is the user's, `output` when it is the assistant's. */
  point: "input" | "output";
}

/**
 * How the fake answers one request.
 * - `default`: the family's verdict from the marker words, after an optional delay.
 * - `content`: this text as the model's answer (any text: malformed, truncated, a refusal), with
 *   `finishReason` (default `stop`; `length` for a truncated one).
 * - `refusal`: an OpenAI-style refusal, `content: null` and `refusal` set.
 * - any {@link ScriptedReply}: a raw body, an error, a hang, a reset, a dropped or stalled body.
 */
export type FakeGuardReply =
  | { type: "default"; delayMs?: number }
  | { type: "content"; content: string; finishReason?: "stop" | "length"; delayMs?: number }
  | { type: "refusal"; refusal: string; delayMs?: number }
  | ScriptedReply;

export type FakeGuardHandler = (call: FakeGuardCall) => FakeGuardReply | Promise<FakeGuardReply>;

export interface FakeGuardOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (vLLM's `--api-key`); others get 401. */
  apiKey?: string;
  /** The family, whatever the model name; by default it comes from each request's model name. */
  format?: FakeGuardFormat;
  /** When set, a request for another model gets vLLM's 404 `The model … does not exist.` */
  model?: string;
}

/** The fake's controls: its calls, its script, its requests in flight. */
export interface FakeGuard extends FakeControls<FakeGuardCall, FakeGuardReply> {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:43121/v1`. */
  readonly url: string;
}

/** The family a model name belongs to, as the engine infers it. */
export function fakeGuardFormatOf(model: string): FakeGuardFormat | undefined {
  const name = model.toLowerCase();
  if (/llama[-_ ]?guard/.test(name)) return "llama-guard";
  if (/qwen3?[-_ ]?guard/.test(name)) return "qwen3guard";
  if (/shield[-_ ]?gemma/.test(name)) return "shieldgemma";
  return undefined;
}

/**
 * The verdict the fake gives `text` in `format`'s output format. `guideline` (ShieldGemma) limits the
 * policies judged to those it names.
 */
export function fakeGuardVerdict(
  format: FakeGuardFormat,
  text: string,
  point: "input" | "output",
  guideline?: string,
): string {
  const markers = Object.entries(GUARD_MARKERS).filter(([word]) => text.includes(word));
  switch (format) {
    case "llama-guard": {
      const codes = [...new Set(markers.flatMap(([, m]) => (m.llamaGuard ? [m.llamaGuard] : [])))];
      return codes.length === 0 ? "safe" : `unsafe\n${codes.join(",")}`;
    }
    case "qwen3guard": {
      const hits = markers.flatMap(([, m]) =>
        m.qwen3guard && !(point === "output" && m.qwen3guard.category === "Jailbreak") ? [m.qwen3guard] : [],
      );
      const safety = hits.some((hit) => hit.safety === "Unsafe")
        ? "Unsafe"
        : hits.length > 0
          ? "Controversial"
          : "Safe";
      const categories = hits.length > 0 ? [...new Set(hits.map((hit) => hit.category))].join(", ") : "None";
      const lines = [`Safety: ${safety}`, `Categories: ${categories}`];
      if (point === "output") lines.push(`Refusal: ${text.includes("REFUSE") ? "Yes" : "No"}`);
      return lines.join("\n");
    }
    case "shieldgemma": {
      const violated = markers.some(
        ([, m]) => m.shieldgemma !== undefined && (guideline === undefined || guideline.includes(`"${m.shieldgemma}"`)),
      );
      return violated ? "Yes" : "No";
    }
  }
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeGuard(options: FakeGuardOptions = {}): Promise<FakeGuard> {
  const state = new FakeState<FakeGuardCall, FakeGuardReply>(() => ({ type: "default" }));
  const { calls, replies, delays } = state;
  let completions = 0;

  const completion = (model: string, message: Record<string, unknown>, finishReason: string) => {
    completions += 1;
    return JSON.stringify({
      id: `chatcmpl-fake-${completions}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: "assistant", ...message }, logprobs: null, finish_reason: finishReason }],
      usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105 },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const call: FakeGuardCall = await recordRequest(req, (body) => {
      const messages = messagesOf(body);
      const last = messages.at(-1);
      return {
        model: typeof (body as { model?: unknown })?.model === "string" ? (body as { model: string }).model : "",
        messages,
        judged: last?.content ?? "",
        point: last?.role === "assistant" ? ("output" as const) : ("input" as const),
      };
    });
    calls.push(call);
    if (options.apiKey !== undefined && !call.authorizedWith(options.apiKey)) {
      send(res, 401, JSON.stringify({ error: "Unauthorized" }));
      return;
    }
    if (call.path !== "/v1/chat/completions") {
      send(res, 404, JSON.stringify({ detail: "Not Found" }));
      return;
    }
    if (call.method !== "POST") {
      send(res, 405, JSON.stringify({ detail: "Method Not Allowed" }));
      return;
    }
    const invalid = validateChatRequest(call.body);
    if (invalid) {
      sendError(res, 400, invalid, "BadRequestError", null);
      return;
    }
    if (options.model !== undefined && call.model !== options.model) {
      sendError(res, 404, `The model \`${call.model}\` does not exist.`, "NotFoundError", null);
      return;
    }
    const format = options.format ?? fakeGuardFormatOf(call.model);
    if (!format) {
      sendError(res, 400, `the fake knows no guard model called "${call.model}"`, "BadRequestError", null);
      return;
    }
    const reply = await replies.next(call);
    switch (reply.type) {
      case "default": {
        if (!(await delays.wait(reply.delayMs, res))) return;
        const kwargs = (call.body as { chat_template_kwargs?: { guideline?: unknown } }).chat_template_kwargs;
        const guideline = typeof kwargs?.guideline === "string" ? kwargs.guideline : undefined;
        const content = fakeGuardVerdict(format, call.judged, call.point, guideline);
        send(res, 200, completion(call.model, { content }, "stop"));
        return;
      }
      case "content":
        if (!(await delays.wait(reply.delayMs, res))) return;
        send(res, 200, completion(call.model, { content: reply.content }, reply.finishReason ?? "stop"));
        return;
      case "refusal":
        if (!(await delays.wait(reply.delayMs, res))) return;
        send(res, 200, completion(call.model, { content: null, refusal: reply.refusal }, "stop"));
        return;
      default:
        return answerScripted(reply, req, res, delays);
    }
  };

  return serveFake(
    state,
    handle,
    (res, error) => sendError(res, 500, `Fake guard handler failed: ${String(error)}`, "InternalServerError", null),
    "/v1",
  );
}

function messagesOf(body: unknown): Array<{ role: string; content: string }> {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((m: unknown) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    return typeof role === "string" && typeof content === "string" ? [{ role, content }] : [];
  });
}

/** What vLLM (and the guard models' chat templates) refuse, with their kind of message. */
function validateChatRequest(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "Expected a JSON object body";
  const { model, messages, stream } = body as { model?: unknown; messages?: unknown; stream?: unknown };
  if (typeof model !== "string" || model === "") return "Field required: model";
  if (stream === true) return "the fake guard does not stream";
  if (!Array.isArray(messages) || messages.length === 0) return "Field required: messages";
  for (const [i, message] of messages.entries()) {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof content !== "string") return `messages[${i}].content must be a string`;
    const expected = i % 2 === 0 ? "user" : "assistant";
    if (role !== expected) return "Conversation roles must alternate user/assistant/user/assistant/...";
  }
  return undefined;
}
