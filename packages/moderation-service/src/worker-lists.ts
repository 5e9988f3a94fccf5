#!/usr/bin/env -S node --import tsx
/**
 * `dify-ext-worker-lists`: bundles keyword lists into a Worker at build time. Reads the files named
 * by KEYWORDS_FILES and KEYWORDS_ALLOW_FILES (comma-separated, as under Node; the sample list when
 * unset), checks that each parses, and writes `.worker/keyword-lists.js` in the current folder, which
 * the app's wrangler.jsonc aliases to `dify-ext:keyword-lists`. wrangler runs it as its build command.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseKeywordList } from "@dify-ext/moderation-engines/keywords";
import { SAMPLE_ALLOW_LIST_FILE, SAMPLE_LIST_FILE } from "@dify-ext/moderation-engines/keywords/node";

function files(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((file) => file.trim())
    .filter(Boolean);
}

async function read(file: string) {
  const text = await readFile(file, "utf8");
  const name = basename(file, extname(file));
  const list = parseKeywordList(text, name);
  return { name, text, terms: list.terms.length, fold: list.fold };
}

const listFiles = files(process.env.KEYWORDS_FILES);
const sample = listFiles.length === 0;
const allowFiles =
  process.env.KEYWORDS_ALLOW_FILES !== undefined
    ? files(process.env.KEYWORDS_ALLOW_FILES)
    : sample
      ? [SAMPLE_ALLOW_LIST_FILE]
      : [];
try {
  const lists = await Promise.all((sample ? [SAMPLE_LIST_FILE] : listFiles).map(read));
  const allow = await Promise.all(allowFiles.map(read));
  const out = join(process.cwd(), ".worker", "keyword-lists.js");
  await mkdir(join(process.cwd(), ".worker"), { recursive: true });
  const strip = ({ name, text }: { name: string; text: string }) => ({ name, text });
  await writeFile(
    out,
    `export default ${JSON.stringify({ lists: lists.map(strip), allow: allow.map(strip), sample })};\n`,
  );
  const bytes = [...lists, ...allow].reduce((sum, list) => sum + Buffer.byteLength(list.text), 0);
  console.log(
    `keyword lists for the Worker: ${lists.map((l) => `${l.name} (${l.terms} terms${l.fold ? `, fold: ${l.fold}` : ""})`).join(", ")}; allow: ${allow.map((l) => `${l.name} (${l.terms})`).join(", ") || "none"}; ${bytes} bytes${sample ? " (the sample list: set KEYWORDS_FILES at build time for yours)" : ""}`,
  );
} catch (error) {
  console.error(`dify-ext-worker-lists: ${(error as Error).message}`);
  process.exit(1);
}
