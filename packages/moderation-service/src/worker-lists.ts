#!/usr/bin/env -S node --import tsx
/**
 * `dify-ext-worker-lists`: bundles keyword lists into a Worker at build time. Reads the files named
 * by KEYWORDS_FILES and KEYWORDS_ALLOW_FILES (comma-separated, as under Node; the sample list when
 * unset), checks that each parses, and writes `.worker/keyword-lists.js` in the current folder, which
 * the app's wrangler.jsonc aliases to `dify-ext:keyword-lists`. wrangler runs it as its build command.
 * With MODERATION_POLICY_FILE set it also bundles the policy file, checked as the service checks it,
 * and every list file the policy names (by the name the policy gives it).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { parseKeywordList } from "@dify-ext/moderation-engines/keywords";
import { SAMPLE_ALLOW_LIST_FILE, SAMPLE_LIST_FILE } from "@dify-ext/moderation-engines/keywords/node";
import { ConfigError } from "@dify-ext/server";
import { parsePolicyFile } from "./policies/file.ts";
import type { BundledPolicy } from "./worker/index.ts";

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
  return { name, text, terms: list.terms.length, folds: list.folds };
}

const listFiles = files(process.env.KEYWORDS_FILES);
const sample = listFiles.length === 0;
const allowFiles =
  process.env.KEYWORDS_ALLOW_FILES !== undefined
    ? files(process.env.KEYWORDS_ALLOW_FILES)
    : sample
      ? [SAMPLE_ALLOW_LIST_FILE]
      : [];
/** The policy file and the list files it names, keyed as the policy names them. */
async function readPolicy(file: string): Promise<BundledPolicy> {
  const text = await readFile(file, "utf8");
  const parsed = await parsePolicyFile(text, basename(file));
  const named = new Set<string>();
  for (const section of [parsed.defaults, ...parsed.apps.values()]) {
    for (const list of [...(section?.keywords?.files ?? []), ...(section?.keywords?.allow_files ?? [])])
      named.add(list);
  }
  const files: Record<string, string> = {};
  for (const list of named) {
    const listText = await readFile(resolve(dirname(file), list), "utf8");
    parseKeywordList(listText, basename(list, extname(list)));
    files[list] = listText;
  }
  return { name: basename(file), text, files };
}

try {
  const lists = await Promise.all((sample ? [SAMPLE_LIST_FILE] : listFiles).map(read));
  const allow = await Promise.all(allowFiles.map(read));
  const policyFile = process.env.MODERATION_POLICY_FILE?.trim();
  const policy = policyFile ? await readPolicy(policyFile) : undefined;
  const out = join(process.cwd(), ".worker", "keyword-lists.js");
  await mkdir(join(process.cwd(), ".worker"), { recursive: true });
  const strip = ({ name, text }: { name: string; text: string }) => ({ name, text });
  await writeFile(
    out,
    `export default ${JSON.stringify({ lists: lists.map(strip), allow: allow.map(strip), sample, ...(policy && { policy }) })};\n`,
  );
  const bytes = [...lists, ...allow].reduce((sum, list) => sum + Buffer.byteLength(list.text), 0);
  console.log(
    `keyword lists for the Worker: ${lists.map((l) => `${l.name} (${l.terms} terms${l.folds ? `, fold: ${l.folds.join(", ")}` : ""})`).join(", ")}; allow: ${allow.map((l) => `${l.name} (${l.terms})`).join(", ") || "none"}; ${bytes} bytes${sample ? " (the sample list: set KEYWORDS_FILES at build time for yours)" : ""}`,
  );
  if (policy) {
    console.log(
      `moderation policy for the Worker: ${policy.name} with ${Object.keys(policy.files).length} list file(s)`,
    );
  }
} catch (error) {
  const message = error instanceof ConfigError ? error.problems.join("\n") : (error as Error).message;
  console.error(`dify-ext-worker-lists: ${message}`);
  process.exit(1);
}
