/**
 * A fake of a sequence-classification model server (Prompt Guard 2, protectai's DeBERTa) on
 * loopback, a real `node:http` server speaking the two APIs the injection engine uses:
 *
 * - Hugging Face text-embeddings-inference, `POST /predict`: `{"inputs": …, "truncate": bool}`
 *   where `inputs` is a string, a pair `[a, b]`, or a batch `[[a], [b, c], …]`; the reply is one
 *   list of `{"score", "label"}` per input (every label, sorted by score), or one flat list for a
 *   single input. Errors are `{"error", "error_type"}`: 413 `validation` for a batch larger than
 *   `maxBatch` or an input over `maxTokens` without `truncate`, 422 `tokenizer`, 400 `empty`.
 * - vLLM, `POST /classify` (and `/v1/classify`): `{"model", "input": string | string[],
 *   "truncate_prompt_tokens"?}`; the reply is `{"id", "object": "list", "created", "model",
 *   "data": [{"index", "label", "probs", "num_classes"}], "usage"}`. Errors are vLLM's
 *   `{"object": "error", "message", "type", "param", "code"}` (404 for an unknown model, 400 for an
 *   input over `maxTokens` without truncation).
 *
 * Tokens are counted as the fake's tokenizer would: each whitespace-separated word and each
 * Chinese/Japanese/Korean character is one token, plus two special tokens. The verdict comes from
 * marker words in the text ({@link CLASSIFIER_MARKERS}); tests can also script any reply or failure.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeControls, RecordedCall, ScriptedReply } from "./fake-upstream.ts";
import { answerScripted, FakeState, recordRequest, send, serveFake } from "./fake-upstream.ts";

/** The attack probability a text gets from the marker words it contains (the highest wins). */
export const CLASSIFIER_MARKERS: Readonly<Record<string, number>> = {
  INJECT: 0.97,
  BORDERLINE: 0.62,
  FAINT: 0.3,
};
/** The attack probability of a text without markers. */
export const CLASSIFIER_CLEAN_SCORE = 0.02;

export interface FakeClassifierCall extends RecordedCall {
  /** `tei` for `/predict`, `vllm` for `/classify`. */
  api: "tei" | "vllm" | "unknown";
  /** The texts classified, in order (pairs joined by a space). */
  texts: string[];
}

export type FakeClassifierReply = { type: "default"; delayMs?: number } | ScriptedReply;
export type FakeClassifierHandler = (call: FakeClassifierCall) => FakeClassifierReply | Promise<FakeClassifierReply>;

export interface FakeClassifierOptions {
  /** The model's labels in class order; the last one is the attack class. Default `SAFE`, `INJECTION`. */
  labels?: readonly string[];
  /** The served model's name (vLLM checks it; TEI ignores it). Default `protectai/deberta-v3-base-prompt-injection-v2`. */
  model?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; others get 401. */
  apiKey?: string;
  /** Longest input in tokens (default 512). */
  maxTokens?: number;
  /** Largest TEI batch (default 32, TEI's `--max-client-batch-size`). */
  maxBatch?: number;
}

/** The fake's controls: its calls, its script, its requests in flight. */
export interface FakeClassifier extends FakeControls<FakeClassifierCall, FakeClassifierReply> {
  /** Base URL, e.g. `http://127.0.0.1:43121`; the routes are `/predict` and `/classify`. */
  readonly url: string;
}

const CJK_RE = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]/u;

/** Tokens the fake counts for a text: words and CJK characters, plus the two special tokens. */
export function fakeTokenCount(text: string): number {
  let count = 2;
  for (const word of text.split(/\s+/)) {
    if (word === "") continue;
    let cjk = 0;
    for (const ch of word) if (CJK_RE.test(ch)) cjk++;
    count += cjk > 0 ? cjk + (word.replace(new RegExp(CJK_RE, "gu"), "") === "" ? 0 : 1) : 1;
  }
  return count;
}

/** The attack probability the fake gives a text. */
export function fakeAttackScore(text: string): number {
  let score = CLASSIFIER_CLEAN_SCORE;
  for (const [marker, value] of Object.entries(CLASSIFIER_MARKERS))
    if (text.includes(marker)) score = Math.max(score, value);
  return score;
}

/** Class probabilities of a text: the attack probability on the last label, the rest on the first. */
function probabilities(text: string, labels: readonly string[]): number[] {
  const attack = fakeAttackScore(text);
  const probs = labels.map(() => 0);
  probs[probs.length - 1] = attack;
  probs[0] = 1 - attack;
  return probs;
}

function teiError(res: ServerResponse, status: number, error: string, errorType: string): void {
  send(res, status, JSON.stringify({ error, error_type: errorType }));
}

function vllmError(res: ServerResponse, status: number, message: string, type: string): void {
  send(res, status, JSON.stringify({ object: "error", message, type, param: null, code: status }));
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeClassifier(options: FakeClassifierOptions = {}): Promise<FakeClassifier> {
  const labels = options.labels ?? ["SAFE", "INJECTION"];
  const model = options.model ?? "protectai/deberta-v3-base-prompt-injection-v2";
  const maxTokens = options.maxTokens ?? 512;
  const maxBatch = options.maxBatch ?? 32;
  const state = new FakeState<FakeClassifierCall, FakeClassifierReply>(() => ({ type: "default" }));
  const { calls, replies, delays } = state;
  let requests = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const api = path === "/predict" ? "tei" : path === "/classify" || path === "/v1/classify" ? "vllm" : "unknown";
    const call: FakeClassifierCall = await recordRequest(req, (body) => ({ api, texts: textsOf(api, body) }));
    calls.push(call);
    if (options.apiKey !== undefined && !call.authorizedWith(options.apiKey)) {
      send(res, 401, JSON.stringify({ error: "Unauthorized", error_type: "Unauthorized" }));
      return;
    }
    if (api === "unknown") {
      send(res, 404, "", {}, "text/plain");
      return;
    }
    if (call.method !== "POST") {
      send(res, 405, "", {}, "text/plain");
      return;
    }
    const body = call.body as Record<string, unknown> | undefined;
    if (api === "tei") {
      const parsed = teiInputs(body?.inputs);
      if (typeof parsed === "string") {
        send(res, 422, `Failed to deserialize the JSON body into the target type: inputs: ${parsed}`, {}, "text/plain");
        return;
      }
      if (parsed.texts.length === 0) {
        teiError(res, 400, "Batch is empty", "empty");
        return;
      }
      if (parsed.texts.length > maxBatch) {
        teiError(res, 413, `batch size ${parsed.texts.length} > maximum allowed batch size ${maxBatch}`, "validation");
        return;
      }
      if (body?.truncate !== true) {
        const long = parsed.texts.find((text) => fakeTokenCount(text) > maxTokens);
        if (long !== undefined) {
          teiError(
            res,
            413,
            `Input validation error: \`inputs\` must have less than ${maxTokens} tokens. Given: ${fakeTokenCount(long)}`,
            "validation",
          );
          return;
        }
      }
      const reply = await replies.next(call);
      if (reply.type !== "default") return answerScripted(reply, req, res, delays);
      if (!(await delays.wait(reply.delayMs, res))) return;
      const predictions = parsed.texts.map((text) =>
        probabilities(text, labels)
          .map((score, i) => ({ score, label: labels[i]! }))
          .sort((a, b) => b.score - a.score),
      );
      send(res, 200, JSON.stringify(parsed.batch ? predictions : predictions[0]));
      return;
    }
    // vLLM
    if (typeof body?.model === "string" && body.model !== model) {
      vllmError(res, 404, `The model \`${body.model}\` does not exist.`, "NotFoundError");
      return;
    }
    const input = body?.input;
    const texts =
      typeof input === "string"
        ? [input]
        : Array.isArray(input) && input.every((t) => typeof t === "string")
          ? (input as string[])
          : undefined;
    if (!texts || texts.length === 0) {
      vllmError(res, 400, "input must be a string or a non-empty list of strings", "BadRequestError");
      return;
    }
    const truncate = body?.truncate_prompt_tokens;
    if (
      truncate !== undefined &&
      (typeof truncate !== "number" || !Number.isInteger(truncate) || truncate > maxTokens)
    ) {
      vllmError(
        res,
        400,
        `truncate_prompt_tokens value (${String(truncate)}) is greater than max_model_len (${maxTokens}).`,
        "BadRequestError",
      );
      return;
    }
    if (truncate === undefined) {
      const long = texts.find((text) => fakeTokenCount(text) > maxTokens);
      if (long !== undefined) {
        vllmError(
          res,
          400,
          `This model's maximum context length is ${maxTokens} tokens. However, you requested ${fakeTokenCount(long)} tokens.`,
          "BadRequestError",
        );
        return;
      }
    }
    const reply = await replies.next(call);
    if (reply.type !== "default") return answerScripted(reply, req, res, delays);
    if (!(await delays.wait(reply.delayMs, res))) return;
    requests += 1;
    const data = texts.map((text, index) => {
      const probs = probabilities(text, labels);
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k]! > probs[best]!) best = k;
      return { index, label: labels[best]!, probs, num_classes: probs.length };
    });
    const tokens = texts.reduce((sum, text) => sum + Math.min(fakeTokenCount(text), maxTokens), 0);
    send(
      res,
      200,
      JSON.stringify({
        id: `classify-fake-${requests}`,
        object: "list",
        created: Math.floor(Date.now() / 1000),
        model,
        data,
        usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, prompt_tokens_details: null },
      }),
    );
  };

  return serveFake(state, handle, (res, error) =>
    send(res, 500, JSON.stringify({ error: String(error), error_type: "backend" })),
  );
}

/** TEI's input shapes: a string, a pair, or a batch of one-string and two-string lists; or what is wrong. */
function teiInputs(inputs: unknown): { texts: string[]; batch: boolean } | string {
  if (typeof inputs === "string") return { texts: [inputs], batch: false };
  if (!Array.isArray(inputs)) return "expected a string, a pair of strings or a batch";
  if (inputs.length === 0) return { texts: [], batch: true };
  if (typeof inputs[0] === "string") {
    if (inputs.length > 2 || !inputs.every((t) => typeof t === "string")) return "invalid length, expected a pair";
    return { texts: [inputs.join(" ")], batch: false };
  }
  const texts: string[] = [];
  for (const item of inputs) {
    if (!Array.isArray(item) || item.length < 1 || item.length > 2 || !item.every((t) => typeof t === "string")) {
      return "a batch item must be a list of one or two strings";
    }
    texts.push(item.join(" "));
  }
  return { texts, batch: true };
}

function textsOf(api: string, body: unknown): string[] {
  const b = body as Record<string, unknown> | undefined;
  if (api === "tei") {
    const parsed = teiInputs(b?.inputs);
    return typeof parsed === "string" ? [] : parsed.texts;
  }
  if (api === "vllm") {
    const input = b?.input;
    if (typeof input === "string") return [input];
    if (Array.isArray(input)) return input.filter((t): t is string => typeof t === "string");
  }
  return [];
}
