/**
 * The injection engine's optional model: a sequence-classification model (Llama Prompt Guard 2,
 * protectai/deberta-v3-base-prompt-injection-v2) behind Hugging Face text-embeddings-inference
 * (`POST /predict`) or vLLM's classification endpoint (`POST /classify`, also TEI's and SGLang's
 * `/v1/classify`). Texts are cut into windows that fit the model (`windows.ts`); window verdicts
 * are cached under SHA-256 digests (bounded in bytes and entries, with a TTL), concurrent requests
 * for the same window share one upstream request, at most `maxConcurrency` requests are in
 * flight, and every call runs under the time budget and retry rule the guard engine uses
 * (`src/upstream/`). Failures reject with `EngineUnavailableError`.
 *
 * See docs/engine-injection.md.
 */
import { EngineUnavailableError, type UpstreamEvent } from "../engine.ts";
import { fingerprint, type SharedStore } from "../shared.ts";
import { createCoalescingCache } from "../upstream/coalesce.ts";
import { digestKey } from "../upstream/digest.ts";
import { isObject, type WarnLogger } from "../upstream/fetch.ts";
import { postJson } from "../upstream/http-call.ts";
import { createLimiter } from "../upstream/limiter.ts";
import {
  CLASSIFIER_FORMATS,
  type ClassifierFormat,
  checkInjectionOption,
  classifierWorstCaseMs,
  DEFAULT_ATTACK_LABELS,
  INJECTION_CLASSIFIER_SETTINGS,
  inferClassifierFormat,
  knownClassifier,
} from "./settings.ts";
import { splitByTokens } from "./windows.ts";

const ENGINE = "injection";
const LABEL = "The injection classifier";
const OWNER = "Injection classifier";

export interface InjectionClassifierOptions {
  /** The endpoint: `http://tei:8080/predict` (TEI) or `http://vllm:8000/classify` (vLLM). */
  url: string;
  /** The API; inferred from the URL's path (`/predict`, `/classify`) when absent. */
  format?: ClassifierFormat;
  /** The model name: sent to vLLM (required there), and used to pick the attack labels. */
  model?: string;
  /** Labels that mean an attack (case-insensitive); by default the known model's, else {@link DEFAULT_ATTACK_LABELS}. */
  labels?: readonly string[];
  /** Probability of an attack label that flags a window; default and bounds in {@link INJECTION_CLASSIFIER_SETTINGS}. */
  threshold?: number;
  /** Sent as `Authorization: Bearer` (TEI's and vLLM's `--api-key`); never logged. */
  apiKey?: string;
  timeoutMs?: number;
  maxRetries?: number;
  cache?: { max?: number; ttlMs?: number; maxBytes?: number };
  window?: { tokens?: number; overlapTokens?: number };
  batchSize?: number;
  maxConcurrency?: number;
}

/** One text's classification. */
export interface ClassifierVerdict {
  flagged: boolean;
  /** Highest attack probability over the text's windows. */
  score: number;
}

export interface InjectionClassifier {
  /** Classifies every text (blank ones are not sent); rejects with `EngineUnavailableError`. */
  classify(texts: readonly string[], signal?: AbortSignal): Promise<ClassifierVerdict[]>;
  /** The settings in use, for logs and the playground (no key). */
  readonly info: Readonly<{
    url: string;
    format: ClassifierFormat;
    model?: string;
    attackLabels: readonly string[];
    threshold: number;
  }>;
}

export interface ClassifierDependencies {
  fetch?: typeof fetch;
  logger?: WarnLogger;
  onUpstream?: (event: UpstreamEvent) => void;
  /** The store replicas share (SHARED_STATE_URL): a window one replica classified, the others need not send. */
  shared?: SharedStore;
}

/** The cached judgement of one window. */
interface WindowScore {
  readonly score: number;
}

/** Creates the classifier client. Throws on invalid options (the message never contains the key). */
export function createInjectionClassifier(
  options: InjectionClassifierOptions,
  deps: ClassifierDependencies = {},
): InjectionClassifier {
  if (
    typeof options.url !== "string" ||
    !URL.canParse(options.url) ||
    !/^https?:$/.test(new URL(options.url).protocol)
  ) {
    throw new Error(`${OWNER} option url must be an http(s) URL such as http://127.0.0.1:8080/predict`);
  }
  const format = options.format ?? inferClassifierFormat(options.url);
  if (format === undefined) {
    throw new Error(
      `${OWNER}: cannot tell the API from the URL's path; end it with /predict (text-embeddings-inference) or /classify (vLLM), or set the format to ${CLASSIFIER_FORMATS.join(" or ")}`,
    );
  }
  if (!(CLASSIFIER_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`${OWNER} option format must be ${CLASSIFIER_FORMATS.join(" or ")}`);
  }
  if (format === "vllm" && (options.model === undefined || options.model.trim() === "")) {
    throw new Error(`${OWNER}: vLLM's /classify needs the model name (INJECTION_CLASSIFIER_MODEL)`);
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey.trim() === "")) {
    throw new Error(`${OWNER} option apiKey must not be empty when given`);
  }
  const labels = options.labels ?? knownClassifier(options.model)?.attackLabels ?? DEFAULT_ATTACK_LABELS;
  if (labels.length === 0 || labels.some((label) => typeof label !== "string" || label.trim() === "")) {
    throw new Error(`${OWNER} option labels must list at least one label`);
  }
  const attack = new Set(labels.map((label) => label.trim().toUpperCase()));
  const S = INJECTION_CLASSIFIER_SETTINGS;
  const setting = (name: keyof typeof S, value: number | undefined, label: string = name) =>
    checkInjectionOption(OWNER, value ?? S[name].default, label, S[name]);
  const threshold = setting("threshold", options.threshold);
  const timeoutMs = setting("timeoutMs", options.timeoutMs);
  const maxRetries = setting("maxRetries", options.maxRetries);
  const cacheMax = setting("cacheMax", options.cache?.max, "cache.max");
  const cacheTtlMs = setting("cacheTtlMs", options.cache?.ttlMs, "cache.ttlMs");
  const cacheMaxBytes = setting("cacheMaxBytes", options.cache?.maxBytes, "cache.maxBytes");
  const windowTokens = setting("windowTokens", options.window?.tokens, "window.tokens");
  const overlapTokens = setting("windowOverlapTokens", options.window?.overlapTokens, "window.overlapTokens");
  if (overlapTokens * 2 >= windowTokens) {
    throw new RangeError(
      `${OWNER} option window.overlapTokens (${overlapTokens}) must be less than half of window.tokens (${windowTokens})`,
    );
  }
  const batchSize = setting("batchSize", options.batchSize);
  const limiter = createLimiter(setting("maxConcurrency", options.maxConcurrency));
  const budgetMs = classifierWorstCaseMs(timeoutMs, maxRetries);
  const baseFetch: typeof fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const model = options.model;

  const outOfBudget = () =>
    new EngineUnavailableError(ENGINE, `${LABEL} did not answer within its ${budgetMs} ms budget`);

  const requestBody = (windows: readonly string[]) =>
    format === "tei"
      ? // A batch is a list of one-string lists: a plain list of two strings would be one text pair.
        { inputs: windows.map((window) => [window]), truncate: true }
      : { model, input: windows, truncate_prompt_tokens: windowTokens };

  const judgeBatch = async (windows: string[], controller: AbortController): Promise<WindowScore[]> => {
    const body = await limiter.run(
      controller.signal,
      () =>
        postJson({
          engine: ENGINE,
          label: LABEL,
          url: options.url,
          body: requestBody(windows),
          ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
          timeoutMs,
          maxRetries,
          budgetMs,
          controller,
          fetch: baseFetch,
          ...(deps.logger ? { logger: deps.logger } : {}),
          ...(deps.onUpstream ? { onUpstream: deps.onUpstream } : {}),
        }),
      () => (controller.signal.reason instanceof EngineUnavailableError ? controller.signal.reason : outOfBudget()),
    );
    return format === "tei" ? readTei(body, windows.length, attack) : readVllm(body, windows.length, attack);
  };

  const cache = createCoalescingCache<string, WindowScore>({
    name: "injection",
    cache: { max: cacheMax, ttlMs: cacheTtlMs, maxBytes: cacheMaxBytes },
    digest: digestKey,
    judgementChars: () => 16,
    onUpstream: deps.onUpstream,
    // A window's score depends on the model behind the URL (and its labels); the key names the window.
    ...(deps.shared && {
      shared: {
        store: deps.shared,
        identity: fingerprint(["injection-classifier", options.url, format, options.model ?? null, [...attack].sort()]),
        encode: (judgement: WindowScore) => String(judgement.score),
        decode(value: string): WindowScore | undefined {
          const score = Number(value);
          return value.length <= 32 && Number.isFinite(score) && score >= 0 && score <= 1 ? { score } : undefined;
        },
      },
    }),
    abortedError: (signal) =>
      new EngineUnavailableError(ENGINE, `${LABEL} was aborted by the caller`, { cause: signal.reason }),
    start(inputs, controller) {
      // One budget for the whole batch: windows waiting for a free slot count against it too.
      const timer = setTimeout(() => controller.abort(outOfBudget()), budgetMs);
      const results: Array<Promise<WindowScore>> = [];
      const all: Array<Promise<WindowScore[]>> = [];
      for (let from = 0; from < inputs.length; from += batchSize) {
        const batch = judgeBatch(inputs.slice(from, from + batchSize), controller);
        all.push(batch);
        for (let k = 0; k < Math.min(batchSize, inputs.length - from); k++)
          results.push(batch.then((scores) => scores[k]!));
      }
      Promise.allSettled(all).then(() => clearTimeout(timer));
      return results;
    },
  });

  return {
    info: Object.freeze({
      url: redactUrl(options.url),
      format,
      ...(model ? { model } : {}),
      attackLabels: [...attack],
      threshold,
    }),
    async classify(texts, signal) {
      const entries: Array<{ key: string; input: string }> = [];
      const windowsOf: number[][] = texts.map(() => []);
      texts.forEach((text, index) => {
        if (typeof text !== "string" || text.trim() === "") return;
        for (const window of splitByTokens(text, windowTokens, overlapTokens)) {
          windowsOf[index]!.push(entries.length);
          entries.push({ key: `${format}\u0000${model ?? ""}\u0000${window}`, input: window });
        }
      });
      const scores = entries.length > 0 ? await cache.judge(entries, signal) : [];
      return windowsOf.map((slots) => {
        let score = 0;
        for (const slot of slots) score = Math.max(score, scores[slot]!.score);
        return { flagged: slots.length > 0 && score >= threshold, score };
      });
    },
  };
}

function malformed(what: string): EngineUnavailableError {
  return new EngineUnavailableError(ENGINE, `${LABEL} answered with a malformed body: ${what}`);
}

/**
 * TEI's `/predict` reply to a batch: one list of `{score, label}` per input, every label of the
 * model with its probability. The window's score is the highest probability among attack labels.
 * A reply whose labels include none of the attack labels is refused: the configured labels do not
 * fit the model, and every text would pass unseen.
 */
export function readTei(body: unknown, count: number, attack: ReadonlySet<string>): WindowScore[] {
  if (!Array.isArray(body)) throw malformed("not a list");
  // A single input may come back as one flat list of predictions.
  const lists = count === 1 && body.length > 0 && isObject(body[0]) ? [body] : body;
  if (lists.length !== count) throw malformed(`${lists.length} results for ${count} inputs`);
  return lists.map((predictions, i) => {
    if (!Array.isArray(predictions) || predictions.length === 0)
      throw malformed(`result ${i} is not a list of predictions`);
    let score = 0;
    let known = false;
    const seen: string[] = [];
    for (const prediction of predictions as unknown[]) {
      if (!isObject(prediction) || typeof prediction.label !== "string" || typeof prediction.score !== "number") {
        throw malformed(`result ${i} holds a prediction without a label and a numeric score`);
      }
      if (!Number.isFinite(prediction.score) || prediction.score < 0 || prediction.score > 1) {
        throw malformed(`result ${i} holds a score outside 0–1 (a server started with raw scores?)`);
      }
      seen.push(prediction.label);
      if (attack.has(prediction.label.toUpperCase())) {
        known = true;
        score = Math.max(score, prediction.score);
      }
    }
    if (!known) {
      throw new EngineUnavailableError(
        ENGINE,
        `${LABEL}'s labels (${seen.slice(0, 8).join(", ").slice(0, 120)}) include none of the attack labels (${[...attack].join(", ")}); set INJECTION_CLASSIFIER_LABELS`,
      );
    }
    return { score };
  });
}

/**
 * vLLM's `/classify` reply: `data[i]` with the predicted `label` and the class `probs`. A window's
 * score is the predicted probability when the predicted label is an attack label; otherwise, for a
 * two-class model, the probability of the other class (exact for binary models); for more classes
 * the attack classes' probabilities are not named, so the score is 0.
 */
export function readVllm(body: unknown, count: number, attack: ReadonlySet<string>): WindowScore[] {
  if (!isObject(body) || !Array.isArray(body.data)) throw malformed("no data list");
  if (body.data.length !== count) throw malformed(`${body.data.length} results for ${count} inputs`);
  const scores: WindowScore[] = new Array(count);
  body.data.forEach((item: unknown, position: number) => {
    if (!isObject(item) || typeof item.label !== "string" || !Array.isArray(item.probs) || item.probs.length === 0) {
      throw malformed(`data[${position}] has no label or probs`);
    }
    const index = typeof item.index === "number" ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || scores[index] !== undefined) {
      throw malformed(`data[${position}] has a bad index`);
    }
    let top = 0;
    for (const p of item.probs as unknown[]) {
      if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1)
        throw malformed(`data[${position}].probs holds a non-probability`);
      top = Math.max(top, p);
    }
    const isAttack = attack.has(item.label.toUpperCase());
    scores[index] = { score: isAttack ? top : item.probs.length === 2 ? 1 - top : 0 };
  });
  return scores;
}

/** The URL without credentials or query, for logs. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
