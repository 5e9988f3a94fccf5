/**
 * A fake of OpenAI's moderation endpoint (`POST /v1/moderations`): a real `node:http` server on
 * 127.0.0.1 that speaks the documented request and response shapes, for tests that must not
 * touch the internet.
 *
 * By default it scores each input deterministically from marker words (see {@link FAKE_MARKERS}),
 * so tests read naturally: `"I am VIOLENT"` is flagged for `violence`, `"hello"` is clean.
 * Tests can script failures per request: an HTTP error with headers (429 + `retry-after`), a
 * hang, a malformed body, a wrong shape, a delay, a connection reset, a connection dropped or
 * stalled after the headers.
 *
 * @example
 * ```ts
 * const fake = await startFakeOpenAI({ apiKey: "sk-test" });
 * const engine = createOpenAIEngine({ apiKey: "sk-test", baseURL: fake.url });
 * fake.script([{ type: "error", status: 429, headers: { "retry-after": "0" } }]);
 * // first request gets 429, later ones the default scoring
 * await fake.close();
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeControls, RecordedCall, ScriptedReply } from "./fake-upstream.ts";
import {
  answerScripted,
  bearerOf,
  FakeState,
  maskKey,
  recordRequest,
  send,
  sendError,
  serveFake,
} from "./fake-upstream.ts";

/** The 13 categories of `omni-moderation-latest`, in OpenAI's order. */
export const OMNI_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;

export type OmniCategory = (typeof OMNI_CATEGORIES)[number];

/**
 * Marker words of the default scoring (case-sensitive, anywhere in the text). A text containing a
 * marker gets that score for that category; several markers combine (highest score wins). Every
 * other category scores {@link BASELINE_SCORE}.
 */
export const FAKE_MARKERS: Readonly<Record<string, { category: OmniCategory; score: number }>> = {
  VIOLENT: { category: "violence", score: 0.95 },
  HATEFUL: { category: "hate", score: 0.9 },
  BORDERLINE: { category: "violence", score: 0.6 },
  SUGGESTIVE: { category: "sexual", score: 0.8 },
  HARASSING: { category: "harassment", score: 0.85 },
  SELFHARM: { category: "self-harm", score: 0.92 },
};

/** Score of every category no marker raised. */
export const BASELINE_SCORE = 0.001;

/**
 * The fake's own "model" flags a category (its `categories[cat]` boolean) when the score is at
 * least this. So `BORDERLINE` (violence 0.6) is not flagged by the API but is by a threshold of
 * 0.5, and `SUGGESTIVE` (sexual 0.8) is flagged by the API but not by a threshold of 0.9.
 */
export const FAKE_FLAG_CUTOFF = 0.7;

/** One result of a moderation response, as OpenAI documents it. */
export interface ModerationResult {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  category_applied_input_types?: Record<string, string[]>;
}

/** Scores one input the way the fake does by default. */
export function scoreText(text: string): ModerationResult {
  const scores: Record<string, number> = {};
  for (const category of OMNI_CATEGORIES) scores[category] = BASELINE_SCORE;
  for (const [marker, { category, score }] of Object.entries(FAKE_MARKERS)) {
    if (text.includes(marker) && score > (scores[category] ?? 0)) scores[category] = score;
  }
  const categories: Record<string, boolean> = {};
  const applied: Record<string, string[]> = {};
  for (const category of OMNI_CATEGORIES) {
    categories[category] = (scores[category] ?? 0) >= FAKE_FLAG_CUTOFF;
    applied[category] = ["text"];
  }
  return {
    flagged: Object.values(categories).some(Boolean),
    categories,
    category_scores: scores,
    category_applied_input_types: applied,
  };
}

/** A request the fake received. */
export interface FakeOpenAICall extends RecordedCall {
  /** The texts of `body.input` (a string input becomes one element; `[]` when absent/invalid). */
  inputs: string[];
}

/**
 * How the fake answers one request: `default` scores every input with {@link scoreText}, after an
 * optional delay; the other kinds are the scripted replies every fake upstream shares
 * ({@link ScriptedReply}: a JSON or raw body, an OpenAI error, a hang, a reset, a body dropped or
 * stalled after the headers).
 */
export type FakeReply = { type: "default"; delayMs?: number; headers?: Record<string, string> } | ScriptedReply;

/** Decides the reply to a request; may be async. */
export type FakeHandler = (call: FakeOpenAICall) => FakeReply | Promise<FakeReply>;

export interface FakeOpenAIOptions {
  /**
   * When set, requests must carry `Authorization: Bearer <apiKey>`; others get OpenAI's 401
   * `invalid_api_key` error (checked before any script).
   */
  apiKey?: string;
}

/** The fake's controls: its calls, its script, its requests in flight. */
export interface FakeOpenAI extends FakeControls<FakeOpenAICall, FakeReply> {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:43121/v1`: pass it as the SDK's `baseURL`. */
  readonly url: string;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const state = new FakeState<FakeOpenAICall, FakeReply>(() => ({ type: "default" }));
  const { calls, replies, delays } = state;
  let responseCount = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const call: FakeOpenAICall = await recordRequest(req, (body) => ({ inputs: inputsOf(body) }));
    const { body } = call;
    calls.push(call);

    if (options.apiKey !== undefined && !call.authorizedWith(options.apiKey)) {
      sendError(
        res,
        401,
        `Incorrect API key provided: ${maskKey(bearerOf(call.authorization) ?? "")}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        "invalid_request_error",
        "invalid_api_key",
      );
      return;
    }
    if (call.path !== "/v1/moderations") {
      sendError(res, 404, `Invalid URL (${call.method} ${call.path})`, "invalid_request_error", null);
      return;
    }
    if (call.method !== "POST") {
      sendError(res, 405, `Invalid method for URL (${call.method} ${call.path})`, "invalid_request_error", null);
      return;
    }
    const invalid = validateRequest(body);
    if (invalid) {
      sendError(res, 400, invalid, "invalid_request_error", null);
      return;
    }

    const reply = await replies.next(call);
    if (reply.type !== "default") return answerScripted(reply, req, res, delays);
    if (!(await delays.wait(reply.delayMs, res))) return;
    responseCount += 1;
    const request = body as { model?: string };
    const payload = {
      id: `modr-fake-${responseCount}`,
      model: request.model ?? "omni-moderation-latest",
      results: call.inputs.map(scoreText),
    };
    send(res, 200, JSON.stringify(payload), reply.headers);
  };

  return serveFake(
    state,
    handle,
    (res, error) => sendError(res, 500, `Fake OpenAI handler failed: ${String(error)}`, "server_error", null),
    "/v1",
  );
}

function inputsOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const input = (body as { input?: unknown }).input;
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.every((item) => typeof item === "string")) return input as string[];
  return [];
}

function validateRequest(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.";
  }
  const { input, model } = body as { input?: unknown; model?: unknown };
  if (model !== undefined && typeof model !== "string") return "Invalid type for 'model': expected a string.";
  if (input === undefined) return "Missing required parameter: 'input'.";
  if (typeof input === "string") return undefined;
  if (!Array.isArray(input)) return "Invalid type for 'input': expected a string or an array of strings.";
  if (input.length === 0) return "Invalid 'input': empty array. Expected an array with minimum length 1.";
  const bad = input.findIndex((item) => typeof item !== "string");
  if (bad !== -1) return `Invalid type for 'input[${bad}]': expected a string.`;
  return undefined;
}
