import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { WORKER_BUILD_VARS } from "@dify-ext/test-support/worker-build-vars";
import { describe, expect, it } from "vitest";
import { fillGenerated, generatedBlocks } from "../docs-tables.ts";
import { policySectionSchema } from "../policies/file.ts";
import { ENGINES } from "./index.ts";

describe("the engine registry", () => {
  it("holds each engine once, by a unique name and cost rank, and no name shadows a policy field", () => {
    const names = ENGINES.map((module) => module.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(ENGINES.map((module) => module.rank)).size).toBe(ENGINES.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
    const policyFields = ["mode", "engines", "input", "output", "mask_character"];
    for (const name of names) expect(policyFields).not.toContain(name);
  });

  it("documents every variable each engine reads, and only those", () => {
    for (const module of ENGINES) {
      expect(Object.keys(module.variables).sort(), module.name).toEqual(Object.keys(module.env.shape).sort());
      for (const variable of module.fileVariables ?? []) expect(Object.keys(module.variables)).toContain(variable);
    }
  });

  it("gives the policy file a section for each engine that has one", () => {
    const sections = Object.keys(policySectionSchema.shape);
    for (const module of ENGINES) expect(sections.includes(module.name), module.name).toBe(module.policy !== undefined);
  });

  it("tells the Worker tests which variables are build-time variables", () => {
    const fileVariables = ["MODERATION_POLICY_FILE", ...ENGINES.flatMap((module) => module.fileVariables ?? [])];
    expect([...WORKER_BUILD_VARS].sort()).toEqual(fileVariables.sort());
  });
});

describe("the docs tables the registry drives", () => {
  it("are current in docs/ (regenerate with pnpm --filter @dify-ext/moderation-service run docs:tables)", async () => {
    const docs = new URL("../../../../docs/", import.meta.url).pathname;
    const blocks = generatedBlocks();
    const seen = new Set<string>();
    for (const name of (await readdir(docs)).filter((file) => file.endsWith(".md"))) {
      const text = await readFile(join(docs, name), "utf8");
      const filled = fillGenerated(text, blocks);
      expect(filled.text, `docs/${name} is stale`).toBe(text);
      for (const found of filled.found) seen.add(found);
    }
    expect([...seen].sort()).toEqual([...blocks.keys()].sort());
  });
});
