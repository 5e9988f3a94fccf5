/**
 * Prompt-injection and jailbreak moderation engine, platform-neutral (no Node APIs besides
 * `node:crypto` for cache digests): rules (shipped, plus an operator's file), canaries, hidden
 * text, and an optional classifier model. See docs/engine-injection.md.
 */
export { canonicalize } from "./canonical.ts";
export {
  type ClassifierDependencies,
  type ClassifierVerdict,
  createInjectionClassifier,
  type InjectionClassifier,
  type InjectionClassifierOptions,
} from "./classifier.ts";
export {
  buildInjectionMatcher,
  CLASSIFIER_CATEGORY,
  CLASSIFIER_RULE,
  createInjectionEngine,
  type InjectionEngine,
  type InjectionEngineOptions,
  type InjectionMatcherSettings,
  shippedInjectionRules,
} from "./engine.ts";
export {
  createInjectionMatcher,
  DETECTOR_RULES,
  type InjectionFinding,
  type InjectionJudgement,
  type InjectionMatcher,
  type InjectionMatcherOptions,
  type InjectionMatcherStats,
  MIN_CANARY_CHARS,
} from "./matcher.ts";
export {
  INJECTION_CATEGORIES,
  INJECTION_CATEGORY_MAP,
  type InjectionCategory,
  injectionCategoryOf,
  type InjectionRule,
  type InjectionRuleSet,
  InjectionRulesError,
  parseInjectionRules,
  RULE_LIMITS,
  type RuleAlternative,
} from "./rules.ts";
export * from "./settings.ts";
export { SHIPPED_RULES, SHIPPED_RULES_SOURCE } from "./shipped-rules.ts";
export type { HiddenText } from "./smuggling.ts";
export { splitByTokens, tokenCost, windowBudget } from "./windows.ts";
