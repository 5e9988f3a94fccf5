import { CATEGORIES } from "@dify-ext/moderation-engines";
import { GUARD_CATEGORIES, GUARD_FORMATS, UNSPECIFIED_CATEGORY } from "@dify-ext/moderation-engines/guard/settings";
import { CLASSIFIER_CATEGORY, INJECTION_CATEGORY_MAP } from "@dify-ext/moderation-engines/injection";
import { OPENAI_CATEGORY_MAP } from "@dify-ext/moderation-engines/openai/settings";
import { PII_CATEGORIES } from "@dify-ext/moderation-engines/pii/types";
import { WEBHOOK_VARIABLES } from "./config/webhook.ts";
import type { AnyEngineModule, VariableDoc } from "./engine-module.ts";
import { byRank, ENGINES } from "./engines/index.ts";

/**
 * The docs tables the registry drives: each engine's variables (on its app's page) and the table of
 * engines (on the composite app's page), written between markers in docs/*.md by `pnpm --filter
 * @dify-ext/moderation-service run docs:tables` and checked by a test, so the docs cannot drift from the code.
 */

/** The markers around a generated table: `<!-- generated: <what> -->` … `<!-- /generated -->`. */
export const GENERATED_START = (what: string) =>
  `<!-- generated: ${what} (pnpm --filter @dify-ext/moderation-service run docs:tables) -->`;
export const GENERATED_END = "<!-- /generated -->";

/** Variables as a Markdown table (an engine's, or the webhooks'). */
export function variablesTable(variables: Readonly<Record<string, VariableDoc>>): string {
  const rows = Object.entries(variables).map(([name, doc]) => `| \`${name}\` | ${doc.default} | ${doc.meaning} |`);
  return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

const GUARD_FAMILY_NAMES: Record<string, string> = {
  "llama-guard": "Llama Guard",
  qwen3guard: "Qwen3Guard",
  shieldgemma: "ShieldGemma",
};

/**
 * The category vocabulary with what each engine maps to each category, from the engines' tables
 * (docs/categories.md).
 */
export function categoriesTable(): string {
  const sources = new Map<string, string[]>(CATEGORIES.map((category) => [category.id, []]));
  const add = (category: string, source: string) => sources.get(category)?.push(source);
  add("profanity", "obscenity (every finding)");
  for (const [type, category] of Object.entries(PII_CATEGORIES)) add(category, `pii \`${type}\``);
  for (const [name, category] of Object.entries(OPENAI_CATEGORY_MAP)) add(category, `OpenAI \`${name}\``);
  for (const format of GUARD_FORMATS) {
    for (const { id, name, category } of GUARD_CATEGORIES[format]) {
      add(category, `${GUARD_FAMILY_NAMES[format] ?? format} \`${id}\` (${name})`);
    }
  }
  for (const [name, category] of Object.entries(INJECTION_CATEGORY_MAP)) add(category, `injection rules \`${name}\``);
  add(CLASSIFIER_CATEGORY, "the injection engine's classifier");
  add(UNSPECIFIED_CATEGORY, "a guard model's unsafe verdict naming no category it knows");
  add("other", "keyword lists without `# category:`; an OpenAI category not in this table");
  const rows = CATEGORIES.map(
    ({ id, meaning }) => `| \`${id}\` | ${meaning} | ${(sources.get(id) ?? []).join(", ")} |`,
  );
  rows.push(
    "| `custom.<name>` | your own: 1 to 40 lower-case letters, digits and hyphens | keyword lists with `# category: custom.<name>`; injection rules that name it |",
  );
  return ["| category | what it covers | the engines' names for it |", "| --- | --- | --- |", ...rows].join("\n");
}

/** The registered engines, in the order they run, as a Markdown table. */
export function enginesTable(modules: readonly AnyEngineModule[] = ENGINES): string {
  const rows = byRank(modules).map((module) => {
    const variables = Object.keys(module.variables)
      .map((name) => `\`${name}\``)
      .join(", ");
    const page = `[${module.docs.replace(/\.md$/, "")}](${module.docs})`;
    return `| \`${module.name}\` | ${module.summary}${module.runsByDefault ? " (runs by default)" : ""} | ${variables} | ${page} |`;
  });
  return ["| engine | what it catches | variables | docs |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** Every generated block, by what it is: `engines`, `categories`, `variables: webhooks`, and `variables: <engine>` per engine. */
export function generatedBlocks(modules: readonly AnyEngineModule[] = ENGINES): Map<string, string> {
  const blocks = new Map<string, string>([
    ["engines", enginesTable(modules)],
    ["categories", categoriesTable()],
    ["variables: webhooks", variablesTable(WEBHOOK_VARIABLES)],
  ]);
  for (const module of byRank(modules)) blocks.set(`variables: ${module.name}`, variablesTable(module.variables));
  return blocks;
}

/**
 * Replaces each generated block in a Markdown text with its current content; returns the new text
 * and the blocks it found. A block the registry does not know is an error naming it.
 */
export function fillGenerated(text: string, blocks: Map<string, string>): { text: string; found: string[] } {
  const found: string[] = [];
  const pattern = /<!-- generated: ([^(]+?) \(pnpm[^)]*\) -->\n[\s\S]*?<!-- \/generated -->/g;
  const filled = text.replace(pattern, (_all, what: string) => {
    const block = blocks.get(what);
    if (block === undefined) throw new Error(`unknown generated block "${what}"`);
    found.push(what);
    return `${GENERATED_START(what)}\n${block}\n${GENERATED_END}`;
  });
  return { text: filled, found };
}
