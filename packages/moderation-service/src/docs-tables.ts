import type { AnyEngineModule } from "./engine-module.ts";
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

/** An engine's variables as a Markdown table. */
export function variablesTable(module: AnyEngineModule): string {
  const rows = Object.entries(module.variables).map(
    ([name, doc]) => `| \`${name}\` | ${doc.default} | ${doc.meaning} |`,
  );
  return ["| variable | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
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

/** Every generated block, by what it is: `engines`, and `variables: <engine>` per engine. */
export function generatedBlocks(modules: readonly AnyEngineModule[] = ENGINES): Map<string, string> {
  const blocks = new Map<string, string>([["engines", enginesTable(modules)]]);
  for (const module of byRank(modules)) blocks.set(`variables: ${module.name}`, variablesTable(module));
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
