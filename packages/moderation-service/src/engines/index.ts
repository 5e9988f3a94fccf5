import type { AnyEngineModule } from "../engine-module.ts";
import { guard } from "./guard.ts";
import { injection } from "./injection.ts";
import { keywords } from "./keywords.ts";
import { obscenity } from "./obscenity.ts";
import { openai } from "./openai.ts";
import { pii } from "./pii.ts";

/**
 * The registry: every engine a moderation app can run, one module each. The composite app's
 * MODERATION_ENGINES, the policy file's sections, the Worker bundler and the docs tables are built
 * from it. To add an engine, write its module (see `engine-module.ts`) and add it here.
 */
export const ENGINES: readonly AnyEngineModule[] = [keywords, obscenity, injection, pii, openai, guard];

/** The registered engines' names, cheapest first. */
export const ENGINE_NAMES: readonly string[] = byRank(ENGINES).map((module) => module.name);

/** Modules in the order they run: cheapest (lowest rank) first. */
export function byRank(modules: readonly AnyEngineModule[]): AnyEngineModule[] {
  return [...modules].sort((a, b) => a.rank - b.rank);
}

/** The module of an engine, by name. */
export function engineModule(name: string, modules: readonly AnyEngineModule[] = ENGINES): AnyEngineModule | undefined {
  return modules.find((module) => module.name === name);
}
