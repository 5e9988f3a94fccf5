/**
 * Injection-engine settings that load nothing heavy: every numeric option's default, bounds and
 * environment variable (the one definition the engine's own checks and the apps' env parser both
 * use), the classifier's API formats and known models, and the parsers of the list-valued
 * variables. See docs/engine-injection.md.
 */
import {
  checkIntegerOption,
  type IntegerSetting,
  UPSTREAM_SETTINGS,
  upstreamWorstCaseMs,
} from "../upstream/settings.ts";

/** A numeric option: default, bounds, the environment variable an app reads it from, and whether fractions are allowed. */
export interface InjectionSetting extends IntegerSetting {
  readonly env: string;
  /** `true`: any number in the bounds (thresholds); otherwise a whole number. */
  readonly decimal?: boolean;
}

/** The rule engine's options. */
export const INJECTION_SETTINGS = {
  /** Window score that flags a text: the sum of the weights of the rules matching within one window. */
  threshold: { default: 1, min: 0.1, max: 100, env: "INJECTION_THRESHOLD", decimal: true },
  /**
   * Width of the scoring window in tokens (a word, or one Chinese/Japanese/Korean/Thai character):
   * weak signals count together only this close. 400 covers a long jailbreak preamble.
   */
  windowTokens: { default: 400, min: 10, max: 100_000, env: "INJECTION_WINDOW_TOKENS" },
  /** Findings (spans) reported per text at most; the text is flagged whatever their number. */
  maxFindings: { default: 64, min: 1, max: 10_000, env: "INJECTION_MAX_FINDINGS" },
  /** Encoded blobs (base64, hex, …) decoded and judged per text at most; 0 turns decoding off. */
  maxBlobs: { default: 16, min: 0, max: 1_000, env: "INJECTION_MAX_BLOBS" },
  /** Characters of one blob (and of hidden tag or selector text) decoded at most. */
  maxBlobChars: { default: 16_384, min: 64, max: 1_000_000, env: "INJECTION_MAX_BLOB_CHARS" },
  /** Levels of decoding (base64 inside base64); 0 judges decoded text without decoding it again. */
  maxDecodeDepth: { default: 2, min: 0, max: 4, env: "INJECTION_MAX_DECODE_DEPTH" },
} as const satisfies Record<string, InjectionSetting>;

/** The classifier's options. */
export const INJECTION_CLASSIFIER_SETTINGS = {
  /** Probability of an attack label from which a window is flagged. */
  threshold: { default: 0.5, min: 0.01, max: 0.99, env: "INJECTION_CLASSIFIER_THRESHOLD", decimal: true },
  /**
   * Timeout of one attempt. A CPU-served 86M model judges a 512-token window in tens of
   * milliseconds; 2 s leaves room for queueing. At most 29 s (see the guard engine).
   */
  timeoutMs: { default: 2000, min: 100, max: 29_000, env: "INJECTION_CLASSIFIER_TIMEOUT_MS" },
  /** Retries, cached window verdicts and their lifetime: as every engine backed by a model server. */
  maxRetries: { ...UPSTREAM_SETTINGS.maxRetries, env: "INJECTION_CLASSIFIER_MAX_RETRIES" },
  cacheMax: { ...UPSTREAM_SETTINGS.cacheMax, env: "INJECTION_CLASSIFIER_CACHE_MAX" },
  cacheTtlMs: { ...UPSTREAM_SETTINGS.cacheTtlMs, env: "INJECTION_CLASSIFIER_CACHE_TTL_MS" },
  /** Bytes the cache may hold (keys are SHA-256 digests, so no text is kept): 4 MiB by default. */
  cacheMaxBytes: {
    default: 4 * 1024 * 1024,
    min: 1024,
    max: 1024 * 1024 * 1024,
    env: "INJECTION_CLASSIFIER_CACHE_MAX_BYTES",
  },
  /** Tokens of one window, the model's input limit (512 for Prompt Guard 2 and the protectai model). */
  windowTokens: { default: 512, min: 16, max: 32_768, env: "INJECTION_CLASSIFIER_WINDOW_TOKENS" },
  /** Tokens consecutive windows share, so an attack cut by one window's end is whole in the next. */
  windowOverlapTokens: { default: 64, min: 0, max: 16_384, env: "INJECTION_CLASSIFIER_WINDOW_OVERLAP_TOKENS" },
  /** Windows sent in one request at most (TEI's `--max-client-batch-size` defaults to 32). */
  batchSize: { default: 16, min: 1, max: 256, env: "INJECTION_CLASSIFIER_BATCH_SIZE" },
  /** Requests in flight to the model server at most; further batches wait their turn. */
  maxConcurrency: { default: 4, min: 1, max: 256, env: "INJECTION_CLASSIFIER_MAX_CONCURRENCY" },
} as const satisfies Record<string, InjectionSetting>;

/**
 * The variables that are not numbers, for the app's config reader (names and meanings; the
 * parsers are below).
 */
export const INJECTION_ENV = {
  rulesFile: "INJECTION_RULES_FILE",
  canary: "INJECTION_CANARY",
  classifierUrl: "INJECTION_CLASSIFIER_URL",
  classifierModel: "INJECTION_CLASSIFIER_MODEL",
  classifierFormat: "INJECTION_CLASSIFIER_FORMAT",
  classifierLabels: "INJECTION_CLASSIFIER_LABELS",
  classifierApiKey: "INJECTION_CLASSIFIER_API_KEY",
} as const;

/**
 * Checks a numeric option against its {@link InjectionSetting} and returns it, or throws an error
 * naming the option and its bounds (`Injection engine option threshold must be …`).
 */
export function checkInjectionOption(owner: string, value: number, name: string, setting: InjectionSetting): number {
  if (!setting.decimal) return checkIntegerOption(owner, value, name, setting);
  if (typeof value !== "number" || !Number.isFinite(value) || value < setting.min || value > setting.max) {
    throw new RangeError(
      `${owner} option ${name} must be a number from ${setting.min} to ${setting.max}, got ${String(value)}`,
    );
  }
  return value;
}

/** The classifier APIs the engine speaks. */
export const CLASSIFIER_FORMATS = ["tei", "vllm"] as const;
export type ClassifierFormat = (typeof CLASSIFIER_FORMATS)[number];

/**
 * The API of an endpoint URL from its path: `…/predict` is text-embeddings-inference's predict
 * route, `…/classify` vLLM's classification route (also served by TEI and SGLang as
 * `/v1/classify`). `undefined` when the path says neither.
 */
export function inferClassifierFormat(url: string): ClassifierFormat | undefined {
  let path: string;
  try {
    path = new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
  if (path.endsWith("/predict")) return "tei";
  if (path.endsWith("/classify")) return "vllm";
  return undefined;
}

/** A sequence-classification model the docs describe, with the labels that mean an attack. */
export interface KnownClassifier {
  /** Hugging Face ids (or the part of a name that identifies it). */
  readonly ids: readonly string[];
  readonly attackLabels: readonly string[];
  /** Every label the model has, in class order. */
  readonly labels: readonly string[];
}

/**
 * The models of docs/engine-injection.md. Llama Prompt Guard 2 (22M, 86M) publishes no label names
 * in its config, so servers call its classes `LABEL_0` (benign) and `LABEL_1` (malicious); some
 * re-uploads name them `BENIGN`/`MALICIOUS`. ProtectAI's DeBERTa model says `SAFE`/`INJECTION`.
 */
export const KNOWN_CLASSIFIERS: readonly KnownClassifier[] = [
  {
    ids: ["meta-llama/Llama-Prompt-Guard-2-86M", "meta-llama/Llama-Prompt-Guard-2-22M", "prompt-guard-2"],
    attackLabels: ["LABEL_1", "MALICIOUS"],
    labels: ["LABEL_0", "LABEL_1"],
  },
  {
    ids: ["protectai/deberta-v3-base-prompt-injection-v2", "deberta-v3-base-prompt-injection"],
    attackLabels: ["INJECTION"],
    labels: ["SAFE", "INJECTION"],
  },
];

/** Attack labels used when the model is not a known one and none are configured. */
export const DEFAULT_ATTACK_LABELS: readonly string[] = ["INJECTION", "JAILBREAK", "MALICIOUS", "LABEL_1"];

/** The known model a name refers to (case-insensitive, by id or a distinctive part of it). */
export function knownClassifier(model: string | undefined): KnownClassifier | undefined {
  if (!model) return undefined;
  const name = model.toLowerCase();
  return KNOWN_CLASSIFIERS.find((known) => known.ids.some((id) => name.includes(id.toLowerCase())));
}

/** Splits a comma-separated list (labels, canaries), trimming and dropping empty items. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * Parses `INJECTION_CANARY`: canaries separated by commas. Each needs at least
 * `MIN_CANARY_CHARS` letters or digits (checked when the engine is built). At most 32.
 */
export function parseCanaries(value: string): string[] {
  const canaries = splitList(value);
  if (canaries.length > MAX_CANARIES) throw new RangeError(`at most ${MAX_CANARIES} canaries, got ${canaries.length}`);
  for (const canary of canaries) {
    if (canary.length > MAX_CANARY_LENGTH) {
      throw new RangeError(`a canary is at most ${MAX_CANARY_LENGTH} characters, got one of ${canary.length}`);
    }
  }
  return canaries;
}

export const MAX_CANARIES = 32;
export const MAX_CANARY_LENGTH = 200;

/**
 * Worst-case time a `moderate()` call waits for the classifier before it rejects:
 * `timeoutMs × (maxRetries + 1) + maxRetries × 1000 ms`, for all windows of the call together.
 * With the defaults, 5,000 ms.
 */
export function classifierWorstCaseMs(
  timeoutMs: number = INJECTION_CLASSIFIER_SETTINGS.timeoutMs.default,
  maxRetries: number = INJECTION_CLASSIFIER_SETTINGS.maxRetries.default,
): number {
  return upstreamWorstCaseMs(timeoutMs, maxRetries);
}
