/**
 * Writes the tables the engine registry drives into docs/*.md (between `<!-- generated: … -->`
 * markers): `pnpm --filter @dify-ext/moderation-service run docs:tables`. A test fails when they are stale.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fillGenerated, generatedBlocks } from "../src/docs-tables.ts";

const docs = new URL("../../../docs/", import.meta.url).pathname;
const blocks = generatedBlocks();
for (const name of (await readdir(docs)).filter((file) => file.endsWith(".md"))) {
  const path = join(docs, name);
  const text = await readFile(path, "utf8");
  const filled = fillGenerated(text, blocks);
  if (filled.text !== text) {
    await writeFile(path, filled.text);
    console.log(`docs/${name}: ${filled.found.join(", ")}`);
  }
}
