import {
  CATEGORY_ACTIONS,
  type CategoryRule,
  categoryProblem,
  type PointPolicy,
  type PolicyMode,
  replyTemplateProblem,
} from "@dify-ext/moderation-engines";
import { ConfigError, type PerAppFile, parsePerAppFile } from "@dify-ext/runtime";
import { z } from "zod";
import type { PolicySettings } from "../config/policy.ts";
import type { EngineSettings } from "../config/read.ts";
import { webhookUrl } from "../config/webhook.ts";
import { byRank, ENGINE_NAMES, ENGINES } from "../engines/index.ts";
import { WEBHOOK_FORMATS, type WebhookTarget } from "../webhooks/types.ts";

/**
 * The moderation policy file (MODERATION_POLICY_FILE): a `default` section over the app's
 * environment configuration, and per-`app_id` sections over `default`. See docs/policies.md.
 */

const actionSchema = z.enum(CATEGORY_ACTIONS as ["block", "mask", "shadow", "pass"], {
  error: "expected block, mask, shadow or pass",
});

/** A reply template; `{terms}` is checked against the section's opt-in once sections are merged. */
const presetSchema = z
  .string()
  .trim()
  .min(1, "must not be empty: Dify would show an empty answer")
  .superRefine((text, ctx) => {
    const problem = replyTemplateProblem(text, { allowTerms: true });
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A category's rule: an action (`pii: mask`), or an action and a reply. */
const categoryRuleSchema = z.preprocess(
  (value) => (typeof value === "string" ? { action: value } : value),
  z.strictObject({ action: actionSchema.optional(), preset_response: presetSchema.optional() }),
);

type CategoryRuleSection = z.output<typeof categoryRuleSchema>;

/**
 * Rules by category or family: every name outside the vocabulary and every bad rule is reported at
 * once, each with its path (a record schema would stop at the first bad name).
 */
const categoriesSchema = z.unknown().transform((value, ctx): Record<string, CategoryRuleSection> => {
  const rules: Record<string, CategoryRuleSection> = Object.create(null);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "expected a map of category: action, e.g. { pii: mask, hate: block }" });
    return rules;
  }
  for (const name of Object.keys(value)) {
    const problem = categoryProblem(name, { families: true });
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [name] });
    const rule = categoryRuleSchema.safeParse((value as Record<string, unknown>)[name]);
    if (!rule.success) {
      for (const issue of rule.error.issues) {
        ctx.addIssue({ code: "custom", message: issue.message, path: [name, ...issue.path] });
      }
    } else if (!problem) rules[name] = rule.data;
  }
  return rules;
});

const pointSection = z.strictObject({
  action: actionSchema.optional(),
  preset_response: presetSchema.optional(),
  on_engine_error: z.enum(["open", "closed"], { error: "expected open or closed" }).optional(),
  categories: categoriesSchema.optional(),
});

/** `webhook: false` (no events for these apps), or a receiver of their own. */
const webhookSection = z.preprocess(
  (value) => (value === false ? { off: true } : value),
  z
    .strictObject({
      off: z.literal(true).optional(),
      url: webhookUrl().optional(),
      format: z
        .enum(WEBHOOK_FORMATS as [string, ...string[]], { error: `expected ${WEBHOOK_FORMATS.join(" or ")}` })
        .optional(),
      secret: z
        .string()
        .regex(
          /^[A-Za-z0-9_]{1,40}$/,
          "expected a name of 1 to 40 letters, digits or _ (team_a → MODERATION_WEBHOOK_SECRET_TEAM_A)",
        )
        .optional(),
    })
    .superRefine((value, ctx) => {
      if (!value.off && value.url === undefined) {
        ctx.addIssue({ code: "custom", message: "expected a url, or webhook: false for none", path: ["url"] });
      }
    }),
);

/** One section of the file: `default`, or one app's. Every field is optional; strict, so typos are errors. */
export const policySectionSchema = z.strictObject({
  /** `enforce` answers Dify with the verdict; `shadow` records it and answers "not flagged". */
  mode: z.enum(["enforce", "shadow"], { error: "expected enforce or shadow" }).optional(),
  /** The engines this policy runs (cheapest first, whatever the order here); each must be running in the service. */
  engines: z
    .array(z.enum(ENGINE_NAMES as [string, ...string[]], { error: `expected one of ${ENGINE_NAMES.join(", ")}` }))
    .min(1, "expected at least one engine")
    .refine((names) => new Set(names).size === names.length, "an engine is listed twice")
    .optional(),
  input: pointSection.optional(),
  output: pointSection.optional(),
  mask_character: z
    .string()
    .refine((value) => [...value].length === 1, "expected exactly one character")
    .optional(),
  /** Reply templates may show the matched list terms (`{terms}`). */
  reply_shows_terms: z.boolean({ error: "expected true or false" }).optional(),
  /** Where these apps' verdict events go (over MODERATION_WEBHOOK_URL). */
  webhook: webhookSection.optional(),
  // Each engine's own section (`keywords:`, `openai:`, ...), from its module.
  ...Object.fromEntries(
    ENGINES.flatMap((module) => (module.policy ? [[module.name, module.policy.section.optional()]] : [])),
  ),
});

/** One section: the policy's own fields, and each engine's section by its name. */
export type PolicySection = z.output<typeof policySectionSchema> & { readonly [engine: string]: unknown };

/** Reads a policy file's text; throws a `ConfigError` naming the file, the app and the field. */
export function parsePolicyFile(text: string, source: string): Promise<PerAppFile<PolicySection>> {
  return parsePerAppFile(text, source, policySectionSchema) as Promise<PerAppFile<PolicySection>>;
}

/** What one app's calls are judged by, before its engines are built. */
export interface PolicySpec {
  mode: PolicyMode;
  policy: PolicySettings;
  /** The engines it runs, cheapest first. */
  engines: string[];
  /** Settings of every engine the service runs, with this policy's overrides. */
  settings: EngineSettings;
  /** Where its verdict events go; none when absent. */
  webhook?: WebhookTarget;
}

/** Where a spec came from, to name it in errors: `default` or `apps."tutor"`. */
export function sectionName(appId: string | undefined): string {
  if (appId === undefined) return "default";
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(appId) ? `apps.${appId}` : `apps.${JSON.stringify(appId)}`;
}

/** The spec from the environment alone: what every app gets without a policy file. */
export function envSpec(config: {
  policy: PolicySettings;
  engines: EngineSettings;
  webhook?: { target?: WebhookTarget };
}): PolicySpec {
  return {
    mode: "enforce",
    policy: config.policy,
    engines: ENGINE_NAMES.filter((name) => config.engines[name] !== undefined),
    settings: config.engines,
    ...(config.webhook?.target && { webhook: config.webhook.target }),
  };
}

/** A point's section over the point below it; category rules merge per category, field by field. */
function overPoint(base: PointPolicy, section: PolicySection["input"]): PointPolicy {
  if (!section) return base;
  let categories = base.categories;
  if (section.categories) {
    const merged: Record<string, CategoryRule> = { ...base.categories };
    for (const [name, rule] of Object.entries(section.categories)) {
      merged[name] = {
        ...merged[name],
        ...(rule.action !== undefined && { action: rule.action }),
        ...(rule.preset_response !== undefined && { presetResponse: rule.preset_response }),
      };
    }
    categories = merged;
  }
  return {
    action: section.action ?? base.action,
    presetResponse: section.preset_response ?? base.presetResponse,
    onEngineError: section.on_engine_error ?? base.onEngineError,
    ...(categories && { categories }),
  };
}

/**
 * The problems of a spec's reply templates under its `{terms}` opt-in, each naming the field of
 * `section` that set the template, or `reply_shows_terms` when the template came from below.
 */
function templateProblems(spec: PolicySpec, section: PolicySection, where: string): string[] {
  const allowTerms = spec.policy.replyShowsTerms === true;
  const problems: string[] = [];
  for (const point of ["input", "output"] as const) {
    const policy = spec.policy[point];
    const own = section[point];
    const templates: Array<[string, string, boolean]> = [
      [`${point}.preset_response`, policy.presetResponse, own?.preset_response !== undefined],
    ];
    for (const [name, rule] of Object.entries(policy.categories ?? {})) {
      if (rule.presetResponse === undefined) continue;
      // Written as the file's other errors write a path (`categories."pii.email"`).
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
      const field = `${point}.categories.${key}.preset_response`;
      templates.push([field, rule.presetResponse, own?.categories?.[name]?.preset_response !== undefined]);
    }
    for (const [field, text, set] of templates) {
      const problem = replyTemplateProblem(text, { allowTerms });
      if (!problem) continue;
      problems.push(
        set
          ? `${where}.${field}: ${problem}`
          : `${where}.reply_shows_terms: false turns off {terms}, which the ${field} this section inherits uses`,
      );
    }
  }
  return problems;
}

/**
 * One section over a base spec. `resolvePath` turns a list file named in the file into the path the
 * engine reads (under Node: relative to the policy file's folder). Throws a `ConfigError` naming
 * `where` when the section asks for an engine the service does not run.
 */
export function applySection(
  base: PolicySpec,
  section: PolicySection,
  where: string,
  resolvePath: (file: string) => string = (file) => file,
): PolicySpec {
  const problems: string[] = [];
  const running = ENGINE_NAMES.filter((name) => base.settings[name] !== undefined);
  const notRunning = (name: string, field: string) =>
    problems.push(
      `${where}.${field}: the ${name} engine is not running in this service (it runs ${running.join(", ")}; ` +
        "MODERATION_ENGINES names the engines of the composite app)",
    );
  for (const name of section.engines ?? []) {
    if (base.settings[name] === undefined) notRunning(name, "engines");
  }
  const settings: Record<string, unknown> = { ...base.settings };
  for (const module of byRank(ENGINES)) {
    const own = section[module.name];
    if (own === undefined || !module.policy) continue;
    const current = base.settings[module.name];
    if (current === undefined) notRunning(module.name, module.name);
    else {
      settings[module.name] = module.policy.apply(current, own, {
        resolvePath,
        problem: (field, message) => problems.push(`${where}.${module.name}.${field}: ${message}`),
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const engines = section.engines ? ENGINE_NAMES.filter((name) => section.engines!.includes(name)) : base.engines;
  const maskCharacter = section.mask_character ?? base.policy.maskCharacter;
  const replyShowsTerms = section.reply_shows_terms ?? base.policy.replyShowsTerms;
  const hook = section.webhook;
  const webhook: WebhookTarget | undefined =
    hook === undefined
      ? base.webhook
      : hook.off || hook.url === undefined
        ? undefined
        : {
            url: hook.url,
            format: (hook.format ?? "json") as WebhookTarget["format"],
            ...(hook.secret !== undefined && { secret: hook.secret.toLowerCase() }),
            where: `${where}.webhook`,
          };
  const spec: PolicySpec = {
    mode: section.mode ?? base.mode,
    policy: {
      input: overPoint(base.policy.input, section.input),
      output: overPoint(base.policy.output, section.output),
      ...(maskCharacter !== undefined && { maskCharacter }),
      ...(replyShowsTerms !== undefined && { replyShowsTerms }),
    },
    engines,
    settings,
    ...(webhook && { webhook }),
  };
  const templateErrors = templateProblems(spec, section, where);
  if (templateErrors.length > 0) throw new ConfigError(templateErrors);
  return spec;
}

/** Every app's spec: the default (env, then the file's `default`) and each app's over it. */
export interface ResolvedPolicies {
  version: string;
  defaults: PolicySpec;
  apps: Map<string, PolicySpec>;
}

/** Resolves a parsed file over the environment's spec; throws one `ConfigError` with every problem. */
export function resolvePolicies(
  base: PolicySpec,
  file: PerAppFile<PolicySection>,
  source: string,
  resolvePath?: (file: string) => string,
): ResolvedPolicies {
  const problems: string[] = [];
  const apply = (spec: PolicySpec, section: PolicySection, appId: string | undefined): PolicySpec | undefined => {
    try {
      return applySection(spec, section, sectionName(appId), resolvePath);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.push(`${source}: ${problem}`);
      return undefined;
    }
  };
  const defaults = (file.defaults && apply(base, file.defaults, undefined)) ?? base;
  const apps = new Map<string, PolicySpec>();
  for (const [appId, section] of file.apps) {
    const spec = apply(defaults, section, appId);
    if (spec) apps.set(appId, spec);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { version: file.version, defaults, apps };
}
