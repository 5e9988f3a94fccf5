import type { PointPolicy, PolicyMode } from "@dify-ext/moderation-engines";
import { ConfigError, type PerAppFile, parsePerAppFile } from "@dify-ext/runtime";
import { z } from "zod";
import type { PolicySettings } from "../config/policy.ts";
import type { EngineSettings } from "../config/read.ts";
import { byRank, ENGINE_NAMES, ENGINES } from "../engines/index.ts";

/**
 * The moderation policy file (MODERATION_POLICY_FILE): a `default` section over the app's
 * environment configuration, and per-`app_id` sections over `default`. See docs/policies.md.
 */

const pointSection = z.strictObject({
  action: z.enum(["block", "mask"], { error: "expected block or mask" }).optional(),
  preset_response: z.string().trim().min(1, "must not be empty: Dify would show an empty answer").optional(),
  on_engine_error: z.enum(["open", "closed"], { error: "expected open or closed" }).optional(),
});

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
}

/** Where a spec came from, to name it in errors: `default` or `apps."tutor"`. */
export function sectionName(appId: string | undefined): string {
  if (appId === undefined) return "default";
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(appId) ? `apps.${appId}` : `apps.${JSON.stringify(appId)}`;
}

/** The spec from the environment alone: what every app gets without a policy file. */
export function envSpec(config: { policy: PolicySettings; engines: EngineSettings }): PolicySpec {
  return {
    mode: "enforce",
    policy: config.policy,
    engines: ENGINE_NAMES.filter((name) => config.engines[name] !== undefined),
    settings: config.engines,
  };
}

function overPoint(base: PointPolicy, section: PolicySection["input"]): PointPolicy {
  if (!section) return base;
  return {
    action: section.action ?? base.action,
    presetResponse: section.preset_response ?? base.presetResponse,
    onEngineError: section.on_engine_error ?? base.onEngineError,
  };
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
  return {
    mode: section.mode ?? base.mode,
    policy: {
      input: overPoint(base.policy.input, section.input),
      output: overPoint(base.policy.output, section.output),
      ...(maskCharacter !== undefined && { maskCharacter }),
    },
    engines,
    settings,
  };
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
