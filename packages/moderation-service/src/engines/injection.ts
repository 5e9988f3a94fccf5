import {
  type ClassifierFormat,
  CLASSIFIER_FORMATS,
  INJECTION_CLASSIFIER_SETTINGS,
  INJECTION_ENV,
  INJECTION_SETTINGS,
  type InjectionSetting,
  inferClassifierFormat,
  parseCanaries,
  splitList,
} from "@dify-ext/moderation-engines/injection/settings";
import { ConfigError, type Env, parseEnvInto } from "@dify-ext/runtime";
import { z } from "zod";
import { defineEngine, type EngineContext } from "../engine-module.ts";

declare module "../config/read.ts" {
  interface EngineSettings {
    injection?: InjectionSettings;
  }
}

/** The injection engine's settings. */
export interface InjectionSettings {
  /** INJECTION_RULES_FILE: the operator's rules, after the shipped ones. */
  rulesFile?: string;
  /** INJECTION_CANARY: strings planted in the app's prompt; an answer carrying one leaks it. */
  canaries: string[];
  /** The rule engine's numeric options (INJECTION_THRESHOLD, …). */
  rules: { [K in keyof typeof INJECTION_SETTINGS]: number };
  /** The classifier model, when INJECTION_CLASSIFIER_URL is set. */
  classifier?: {
    url: string;
    format: ClassifierFormat;
    model?: string;
    labels?: string[];
    apiKey?: string;
  } & { [K in keyof typeof INJECTION_CLASSIFIER_SETTINGS]: number };
}

/** A variable for one numeric option, with the engine's own default and bounds (fractions where the option takes them). */
function settingVar(setting: InjectionSetting) {
  const kind = setting.decimal ? "number" : "whole number";
  const message = `expected a ${kind} from ${setting.min} to ${setting.max}`;
  let schema = z.coerce.number({ error: message }).min(setting.min, message).max(setting.max, message);
  if (!setting.decimal) schema = schema.int(message);
  return schema.default(setting.default);
}

const numericVars = (settings: Record<string, InjectionSetting>) =>
  Object.fromEntries(Object.values(settings).map((setting) => [setting.env, settingVar(setting)]));

const env = z.object({
  [INJECTION_ENV.rulesFile]: z.string().optional(),
  [INJECTION_ENV.canary]: z
    .string()
    .transform((value, ctx) => {
      try {
        return parseCanaries(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  [INJECTION_ENV.classifierUrl]: z.url({ error: "expected a URL such as http://tei:8080/predict" }).optional(),
  [INJECTION_ENV.classifierModel]: z.string().optional(),
  [INJECTION_ENV.classifierFormat]: z
    .enum(CLASSIFIER_FORMATS, { error: `expected one of ${CLASSIFIER_FORMATS.join(", ")}` })
    .optional(),
  [INJECTION_ENV.classifierLabels]: z.string().transform(splitList).optional(),
  [INJECTION_ENV.classifierApiKey]: z.string().optional(),
  ...numericVars(INJECTION_SETTINGS),
  ...numericVars(INJECTION_CLASSIFIER_SETTINGS),
});

/** The options of a settings table, read from the parsed variables by their names. */
function optionsOf<T extends Record<string, InjectionSetting>>(settings: T, app: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(settings).map(([name, setting]) => [name, app[setting.env]])) as {
    [K in keyof T]: number;
  };
}

/**
 * Reads the injection engine's variables; throws a `ConfigError` naming each bad one. The
 * classifier's API must be given or follow from its URL; vLLM needs the model name.
 */
function read(source: Env): InjectionSettings {
  const problems: string[] = [];
  const app = parseEnvInto(env, source, problems) as Record<string, unknown> | undefined;
  if (!app) throw new ConfigError(problems);
  const url = app[INJECTION_ENV.classifierUrl] as string | undefined;
  let classifier: InjectionSettings["classifier"];
  if (url) {
    const format = (app[INJECTION_ENV.classifierFormat] as ClassifierFormat | undefined) ?? inferClassifierFormat(url);
    const model = app[INJECTION_ENV.classifierModel] as string | undefined;
    if (!format) {
      problems.push(
        `${INJECTION_ENV.classifierFormat}: required when ${INJECTION_ENV.classifierUrl} ends in neither /predict (tei) nor /classify (vllm)`,
      );
    } else if (format === "vllm" && !model) {
      problems.push(`${INJECTION_ENV.classifierModel}: required with vLLM (the model name the server serves)`);
    }
    const labels = app[INJECTION_ENV.classifierLabels] as string[] | undefined;
    const apiKey = app[INJECTION_ENV.classifierApiKey] as string | undefined;
    const overlap = app[INJECTION_CLASSIFIER_SETTINGS.windowOverlapTokens.env] as number;
    const window = app[INJECTION_CLASSIFIER_SETTINGS.windowTokens.env] as number;
    if (overlap * 2 >= window) {
      problems.push(
        `${INJECTION_CLASSIFIER_SETTINGS.windowOverlapTokens.env}: must be less than half of ${INJECTION_CLASSIFIER_SETTINGS.windowTokens.env} (${window})`,
      );
    }
    if (format) {
      classifier = {
        url,
        format,
        ...(model && { model }),
        ...(labels && labels.length > 0 && { labels }),
        ...(apiKey && { apiKey }),
        ...optionsOf(INJECTION_CLASSIFIER_SETTINGS, app),
      };
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const rulesFile = app[INJECTION_ENV.rulesFile] as string | undefined;
  return {
    ...(rulesFile && { rulesFile }),
    canaries: (app[INJECTION_ENV.canary] as string[] | undefined) ?? [],
    rules: optionsOf(INJECTION_SETTINGS, app),
    ...(classifier && { classifier }),
  };
}

/** Builds the rules matcher: the shipped rules, the operator's file (its errors name the line), the canaries. */
async function loadMatcher(settings: InjectionSettings, context: EngineContext) {
  const { buildInjectionMatcher, parseInjectionRules } = await import("@dify-ext/moderation-engines/injection");
  const rules = settings.rulesFile
    ? [parseInjectionRules(await context.files.read(settings.rulesFile), settings.rulesFile)]
    : [];
  return buildInjectionMatcher({ rules, canaries: settings.canaries, ...settings.rules });
}

const plain = (setting: InjectionSetting) => `\`${setting.default}\``;
const numericDocs = (settings: Record<string, InjectionSetting & { doc?: string }>, meanings: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(settings).map(([name, setting]) => [
      setting.env,
      { default: plain(setting), meaning: `${meanings[name]}; ${setting.min} to ${setting.max}` },
    ]),
  );

/**
 * Prompt injection and jailbreaks: rules that run anywhere (override, persona and no-limits
 * framings, prompt leaks, chat-template tokens, hidden and encoded text), canaries in answers, and
 * a sequence-classification model where a team runs one.
 */
export const injection = defineEngine<
  InjectionSettings,
  { rules_file?: string; canaries?: string[]; threshold?: number }
>({
  name: "injection",
  rank: 25,
  summary:
    "prompt injection and jailbreaks: rules in English, Chinese and more, hidden and encoded text, canaries in answers, an optional classifier model",
  docs: "app-moderation-injection.md",
  env,
  variables: {
    INJECTION_RULES_FILE: {
      default: "none",
      meaning:
        "the operator's rules file ([format](engine-injection.md#rule-files)), added after the shipped rules; reloaded when it changes and on SIGHUP, a broken file names the line and keeps the old rules",
    },
    INJECTION_CANARY: {
      default: "none",
      meaning:
        "canary strings planted in the Dify app's prompt, comma-separated (at most 32, each at least 8 letters or digits): an answer that contains one is flagged `prompt-leak` (category `injection.prompt-leak`; [where to put it](engine-injection.md#canaries-the-system-prompt-leaking))",
    },
    ...numericDocs(INJECTION_SETTINGS, {
      threshold: "window score that flags a text (the sum of the weights of the rules matching in one window)",
      windowTokens: "width of the scoring window, in tokens",
      maxFindings: "findings reported per text at most",
      maxBlobs: "encoded blobs (base64, hex, …) decoded and judged per text; `0` turns decoding off",
      maxBlobChars: "characters of one blob or hidden run decoded at most",
      maxDecodeDepth: "levels of decoding (base64 inside base64)",
    }),
    INJECTION_CLASSIFIER_URL: {
      default: "none (rules only)",
      meaning:
        "a sequence-classification model's endpoint: text-embeddings-inference `…/predict` or vLLM `…/classify` ([models](engine-injection.md#the-classifier-model))",
    },
    INJECTION_CLASSIFIER_FORMAT: { default: "from the URL", meaning: "`tei` or `vllm`" },
    INJECTION_CLASSIFIER_MODEL: {
      default: "none",
      meaning: "the model name: required with vLLM, and picks the attack labels of a documented model",
    },
    INJECTION_CLASSIFIER_LABELS: {
      default: "the model's",
      meaning: "labels that mean an attack, comma-separated",
    },
    INJECTION_CLASSIFIER_API_KEY: {
      default: "none",
      meaning: "sent as `Authorization: Bearer`; never logged",
    },
    ...numericDocs(INJECTION_CLASSIFIER_SETTINGS, {
      threshold: "attack probability that flags a window",
      timeoutMs: "timeout of one attempt, in ms",
      maxRetries: "retries after a timeout, a connection error, 408, 409, 429 or 5xx",
      cacheMax: "cached window verdicts; `0` disables the cache",
      cacheTtlMs: "how long a cached verdict lives, in ms",
      cacheMaxBytes: "bytes the verdict cache holds at most (keys are digests: no text is kept)",
      windowTokens: "the model's input, in tokens: longer texts are judged in windows",
      windowOverlapTokens: "tokens consecutive windows share, less than half a window",
      batchSize: "windows sent in one request at most",
      maxConcurrency: "requests in flight to the model at most",
    }),
  },
  fileVariables: [INJECTION_ENV.rulesFile],
  read,
  policy: {
    section: z.strictObject({
      rules_file: z.string().trim().min(1, "a file name must not be empty").optional(),
      canaries: z
        .array(z.string())
        .transform((list, ctx) => {
          try {
            return parseCanaries(list.join(","));
          } catch (error) {
            ctx.addIssue({ code: "custom", message: (error as Error).message });
            return z.NEVER;
          }
        })
        .optional(),
      threshold: z
        .number()
        .min(INJECTION_SETTINGS.threshold.min, `expected a number from ${INJECTION_SETTINGS.threshold.min} to 100`)
        .max(INJECTION_SETTINGS.threshold.max, `expected a number from ${INJECTION_SETTINGS.threshold.min} to 100`)
        .optional(),
    }),
    apply: (settings, section, { resolvePath }) => ({
      ...settings,
      ...(section.rules_file !== undefined && { rulesFile: resolvePath(section.rules_file) }),
      ...(section.canaries !== undefined && { canaries: section.canaries }),
      ...(section.threshold !== undefined && { rules: { ...settings.rules, threshold: section.threshold } }),
    }),
    files: (section) => (section.rules_file ? [section.rules_file] : []),
  },
  async create(settings, context) {
    const { createInjectionEngine, InjectionRulesError } = await import("@dify-ext/moderation-engines/injection");
    const { logger, observer } = context;
    let matcher: Awaited<ReturnType<typeof loadMatcher>>;
    try {
      matcher = await loadMatcher(settings, context);
    } catch (error) {
      // At start-up a bad rules file or canary stops the app, naming the variable (and the line).
      if (error instanceof InjectionRulesError) {
        throw new ConfigError([`${INJECTION_ENV.rulesFile}: ${error.message}`]);
      }
      if (error instanceof RangeError && /canary/.test(error.message)) {
        throw new ConfigError([`${INJECTION_ENV.canary}: ${error.message}`]);
      }
      if (settings.rulesFile && !(error instanceof TypeError)) {
        throw new ConfigError([`${INJECTION_ENV.rulesFile}: ${(error as Error).message}`]);
      }
      throw error;
    }
    const { classifier } = settings;
    const engine = createInjectionEngine({
      matcher,
      ...(classifier && {
        classifier: {
          url: classifier.url,
          format: classifier.format,
          ...(classifier.model && { model: classifier.model }),
          ...(classifier.labels && { labels: classifier.labels }),
          ...(classifier.apiKey && { apiKey: classifier.apiKey }),
          threshold: classifier.threshold,
          timeoutMs: classifier.timeoutMs,
          maxRetries: classifier.maxRetries,
          cache: { max: classifier.cacheMax, ttlMs: classifier.cacheTtlMs, maxBytes: classifier.cacheMaxBytes },
          window: { tokens: classifier.windowTokens, overlapTokens: classifier.windowOverlapTokens },
          batchSize: classifier.batchSize,
          maxConcurrency: classifier.maxConcurrency,
        },
      }),
      logger,
      ...(observer && { onUpstream: (event) => observer.observeUpstream(event) }),
      ...(context.shared && { shared: context.shared }),
    });
    logger.info(
      {
        engine: "injection",
        ruleSets: matcher.stats.sources.map((source) => ({ name: source.source, rules: source.rules })),
        canaries: settings.canaries.length,
        classifier: classifier ? { format: classifier.format, model: classifier.model ?? null } : null,
      },
      "injection rules loaded",
    );
    if (settings.rulesFile) {
      const watch = context.files.watch(
        [settings.rulesFile],
        async () => {
          const next = await loadMatcher(settings, context);
          engine.swap(next);
          logger.info({ rules: next.stats.rules }, "injection rules reloaded");
        },
        {
          hangup: "SIGHUP: reloading injection rules",
          failed: "injection rules not reloaded; the previous rules keep serving",
        },
      );
      context.onClose(() => watch.close());
    }
    return engine;
  },
});
