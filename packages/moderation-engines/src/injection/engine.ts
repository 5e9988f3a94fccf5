import {
  type EngineDescription,
  EngineUnavailableError,
  type ModerateContext,
  type ModerationEngine,
  type TextVerdict,
  type UpstreamEvent,
} from "../engine.ts";
import type { SharedStore } from "../shared.ts";
import type { WarnLogger } from "../upstream/fetch.ts";
import {
  type ClassifierVerdict,
  createInjectionClassifier,
  type InjectionClassifier,
  type InjectionClassifierOptions,
} from "./classifier.ts";
import {
  createInjectionMatcher,
  type InjectionFinding,
  type InjectionJudgement,
  type InjectionMatcher,
} from "./matcher.ts";
import { type InjectionRuleSet, injectionCategoryOf, parseInjectionRules } from "./rules.ts";
import { checkInjectionOption, INJECTION_SETTINGS } from "./settings.ts";
import { SHIPPED_RULES, SHIPPED_RULES_SOURCE } from "./shipped-rules.ts";

const OWNER = "Injection engine";

/**
 * The category a classifier flag carries (the models do not tell injection from jailbreak), from
 * the one vocabulary (docs/categories.md).
 */
export const CLASSIFIER_CATEGORY = "injection";

/** The engine rule of a classifier flag, for the audit trail (a rule's flag names its own category). */
export const CLASSIFIER_RULE = "classifier";

let shipped: InjectionRuleSet | undefined;

/** The shipped rules, parsed once. */
export function shippedInjectionRules(): InjectionRuleSet {
  shipped ??= parseInjectionRules(SHIPPED_RULES, SHIPPED_RULES_SOURCE);
  return shipped;
}

export interface InjectionMatcherSettings {
  /**
   * Rule sets after the shipped ones, in order (an operator's file: `parseInjectionRules`). Their
   * rules add to the shipped rules, replace those with the same id, or `disable` them.
   */
  rules?: readonly InjectionRuleSet[];
  /** `false` leaves the shipped rules out (only `rules` apply). Default `true`. */
  shipped?: boolean;
  /** Canary strings: an answer that contains one is flagged `prompt-leak` (output point). */
  canaries?: readonly string[];
  threshold?: number;
  windowTokens?: number;
  maxFindings?: number;
  maxBlobs?: number;
  maxBlobChars?: number;
  maxDecodeDepth?: number;
}

/**
 * Builds the rule matcher from the shipped rules, an operator's rule sets and canaries, with the
 * numeric options checked against {@link INJECTION_SETTINGS}. Throws `InjectionRulesError` (naming
 * the file and line) or `RangeError`. A reload builds a new matcher and `swap`s it in.
 */
export function buildInjectionMatcher(settings: InjectionMatcherSettings = {}): InjectionMatcher {
  const setting = (name: keyof typeof INJECTION_SETTINGS, value: number | undefined) =>
    checkInjectionOption(OWNER, value ?? INJECTION_SETTINGS[name].default, name, INJECTION_SETTINGS[name]);
  const ruleSets = [...(settings.shipped === false ? [] : [shippedInjectionRules()]), ...(settings.rules ?? [])];
  return createInjectionMatcher({
    ruleSets,
    canaries: settings.canaries ?? [],
    threshold: setting("threshold", settings.threshold),
    windowTokens: setting("windowTokens", settings.windowTokens),
    maxFindings: setting("maxFindings", settings.maxFindings),
    maxBlobs: setting("maxBlobs", settings.maxBlobs),
    maxBlobChars: setting("maxBlobChars", settings.maxBlobChars),
    maxDecodeDepth: setting("maxDecodeDepth", settings.maxDecodeDepth),
  });
}

export interface InjectionEngineOptions extends InjectionMatcherSettings {
  /** A matcher built already (`buildInjectionMatcher`); the rule settings above are then ignored. */
  matcher?: InjectionMatcher;
  /** The classifier model, when one is served; judges input texts the rules let through. */
  classifier?: InjectionClassifierOptions;
  /** `fetch` for the classifier instead of the global one. */
  fetch?: typeof fetch;
  /** Receives warnings (a retry-after beyond the budget); never text or secrets. */
  logger?: WarnLogger;
  /** Told about every classifier call and cache lookup, for metrics. */
  onUpstream?: (event: UpstreamEvent) => void;
  /** The store replicas share (SHARED_STATE_URL): the classifier's window scores. */
  shared?: SharedStore;
}

/** The injection engine: a {@link ModerationEngine} whose rules can be replaced while it serves. */
export interface InjectionEngine extends ModerationEngine {
  readonly name: "injection";
  /** Replaces the matcher (a reloaded rules file); calls in progress finish with the one they started with. */
  swap(matcher: InjectionMatcher): void;
  /** The matcher in use. */
  current(): InjectionMatcher;
  /** The classifier, when configured. */
  readonly classifier: InjectionClassifier | undefined;
  /** The rule sets and canaries in use, with their counts, and when they were swapped in. */
  describe(): EngineDescription;
}

/**
 * Creates the `injection` engine. Every text is judged by the rules (both points: at the output
 * point only the rules marked `on output`, canaries and hidden text). At the input point, texts
 * the rules let through go to the classifier when one is configured.
 *
 * When the classifier fails: if the rules flagged a text of the call, the call is flagged anyway
 * and the rules' verdicts are answered (the failure is logged); otherwise the call rejects with
 * `EngineUnavailableError`, and the policy's failure policy decides.
 */
export function createInjectionEngine(options: InjectionEngineOptions = {}): InjectionEngine {
  let matcher = options.matcher ?? buildInjectionMatcher(options);
  let loadedAt = new Date();
  const classifier = options.classifier
    ? createInjectionClassifier(options.classifier, {
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.onUpstream ? { onUpstream: options.onUpstream } : {}),
        ...(options.shared ? { shared: options.shared } : {}),
      })
    : undefined;

  return {
    name: "injection",
    classifier,
    async moderate(texts: readonly string[], context: ModerateContext): Promise<TextVerdict[]> {
      if (!Array.isArray(texts)) throw new TypeError("texts must be an array of strings");
      const m = matcher;
      const verdicts: TextVerdict[] = texts.map((text, index) => {
        if (typeof text !== "string") throw new TypeError(`texts[${index}] must be a string`);
        return verdictOf(m.judge(text, context.point));
      });
      if (!classifier || context.point !== "input") return verdicts;
      const pending = texts.map((_, i) => i).filter((i) => !verdicts[i]!.flagged && texts[i]!.trim() !== "");
      if (pending.length === 0) return verdicts;
      let classified: ClassifierVerdict[];
      try {
        classified = await classifier.classify(
          pending.map((i) => texts[i]!),
          context.signal,
        );
      } catch (error) {
        if (!(error instanceof EngineUnavailableError) || !verdicts.some((v) => v.flagged)) throw error;
        options.logger?.warn(
          { engine: "injection", reason: error.message },
          "injection classifier failed; answering the rules' flag",
        );
        return verdicts;
      }
      pending.forEach((i, k) => {
        if (classified[k]!.flagged) {
          verdicts[i] = { flagged: true, findings: [], categories: [CLASSIFIER_CATEGORY], rules: [CLASSIFIER_RULE] };
        }
      });
      return verdicts;
    },
    swap(next: InjectionMatcher): void {
      if (typeof next?.judge !== "function")
        throw new TypeError("matcher must be an InjectionMatcher (see buildInjectionMatcher)");
      matcher = next;
      loadedAt = new Date();
    },
    current(): InjectionMatcher {
      return matcher;
    },
    describe(): EngineDescription {
      const { stats } = matcher;
      const lists: EngineDescription["lists"] = stats.sources.map((source) => ({
        name: source.source,
        kind: "block",
        terms: source.rules,
        match: "rules",
      }));
      if (stats.canaries > 0) lists.push({ name: "canaries", kind: "block", terms: stats.canaries, match: "output" });
      return { engine: "injection", lists, loadedAt: loadedAt.toISOString() };
    },
  };
}

/**
 * The rules' judgement as a verdict: findings and categories in the one vocabulary (`jailbreak` is
 * `injection.jailbreak`), the categories as the rules name them kept as the verdict's `rules`.
 */
function verdictOf(judged: InjectionJudgement): TextVerdict {
  if (!judged.flagged) return { flagged: false, findings: [], categories: [] };
  const categories: string[] = [];
  for (const name of judged.categories) {
    const category = injectionCategoryOf(name);
    if (!categories.includes(category)) categories.push(category);
  }
  return {
    flagged: true,
    findings: judged.findings.map((finding) => ({ ...finding, category: injectionCategoryOf(finding.category) })),
    categories,
    rules: [...judged.categories],
  };
}

export type { InjectionFinding };
