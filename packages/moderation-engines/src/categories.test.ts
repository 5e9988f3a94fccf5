import { describe, expect, it } from "vitest";
import {
  CATEGORIES,
  CATEGORY_FAMILIES,
  categoryAncestry,
  categoryProblem,
  isCategory,
  isCategoryOrFamily,
  mapCategories,
} from "./categories.ts";
import { GUARD_CATEGORIES, GUARD_CATEGORY_MAPS, GUARD_FORMATS } from "./guard/settings.ts";
import { CLASSIFIER_CATEGORY } from "./injection/engine.ts";
import { INJECTION_CATEGORIES, INJECTION_CATEGORY_MAP } from "./injection/rules.ts";
import { OMNI_MODERATION_CATEGORIES, OPENAI_CATEGORY_MAP } from "./openai/settings.ts";
import { PII_CATEGORIES, PII_TYPES } from "./pii/types.ts";

describe("the category vocabulary", () => {
  it("has unique lower-case ids, each with a meaning, one level of family at most", () => {
    const ids = CATEGORIES.map((category) => category.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { id, meaning } of CATEGORIES) {
      expect(id).toMatch(/^[a-z][a-z-]*(\.[a-z][a-z-]*)?$/);
      expect(meaning.length).toBeGreaterThan(5);
    }
    expect(CATEGORY_FAMILIES).toContain("pii");
    expect(CATEGORY_FAMILIES).toContain("custom");
  });

  it("is what every engine's table maps to, and every engine's own names are mapped", () => {
    const targets: Array<[string, string]> = [];
    for (const name of OMNI_MODERATION_CATEGORIES) targets.push([`openai ${name}`, OPENAI_CATEGORY_MAP[name]]);
    for (const type of PII_TYPES) targets.push([`pii ${type}`, PII_CATEGORIES[type]]);
    for (const name of INJECTION_CATEGORIES) targets.push([`injection ${name}`, INJECTION_CATEGORY_MAP[name]]);
    targets.push(["injection classifier", CLASSIFIER_CATEGORY]);
    for (const format of GUARD_FORMATS) {
      for (const { id } of GUARD_CATEGORIES[format])
        targets.push([`${format} ${id}`, GUARD_CATEGORY_MAPS[format][id]!]);
      targets.push([`${format} unspecified`, GUARD_CATEGORY_MAPS[format].unspecified!]);
    }
    expect(targets.filter(([, category]) => !isCategory(category))).toEqual([]);
    expect(Object.keys(OPENAI_CATEGORY_MAP).sort()).toEqual([...OMNI_MODERATION_CATEGORIES].sort());
  });

  it("takes custom categories of a bounded shape, and families only where a rule may name one", () => {
    expect(isCategory("custom.competitors")).toBe(true);
    expect(isCategory("custom.")).toBe(false);
    expect(isCategory(`custom.${"x".repeat(41)}`)).toBe(false);
    expect(isCategory("custom.Upper")).toBe(false);
    expect(isCategory("pii")).toBe(false);
    expect(isCategoryOrFamily("pii")).toBe(true);
    expect(isCategoryOrFamily("custom")).toBe(true);
    for (const name of ["__proto__", "constructor", "toString", "PII.email", ""]) {
      expect(isCategoryOrFamily(name)).toBe(false);
    }
    expect(categoryProblem("gore")).toMatch(/^unknown category "gore"; expected a category of docs\/categories.md/);
    expect(categoryProblem("pii")).toMatch(/unknown category "pii"/);
    expect(categoryProblem("pii", { families: true })).toBeUndefined();
  });

  it("resolves a category to itself, then its family", () => {
    expect(categoryAncestry("pii.email")).toEqual(["pii.email", "pii"]);
    expect(categoryAncestry("hate")).toEqual(["hate"]);
  });

  it("maps an engine's names each once, in order, with a fallback for names the table lacks", () => {
    expect(mapCategories(["hate/threatening", "hate", "hate/threatening"], OPENAI_CATEGORY_MAP)).toEqual([
      "hate.threatening",
      "hate",
    ]);
    expect(mapCategories(["__proto__", "gore"], OPENAI_CATEGORY_MAP)).toEqual(["other"]);
    expect(mapCategories(["S99"], GUARD_CATEGORY_MAPS["llama-guard"], "unspecified")).toEqual(["unspecified"]);
  });
});
