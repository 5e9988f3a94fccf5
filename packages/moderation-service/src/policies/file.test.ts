import { ConfigError } from "@dify-ext/runtime";
import { describe, expect, it } from "vitest";
import { readPolicySettings } from "../config/index.ts";
import { applySection, envSpec, parsePolicyFile, resolvePolicies } from "./file.ts";
import { keywords } from "../engines/keywords.ts";
import { openai } from "../engines/openai.ts";

const env = {
  OPENAI_API_KEY: "sk-test-123456",
  OPENAI_THRESHOLDS: "violence=0.4,harassment=0.6",
  KEYWORDS_FILES: "a.txt",
};
const base = envSpec({
  policy: readPolicySettings({ MODERATION_OUTPUT_ACTION: "mask" }),
  engines: { keywords: keywords.read(env), openai: openai.read(env) },
});

describe("policy sections over the environment", () => {
  it("keeps every field a section leaves out, and replaces only what it names", () => {
    const spec = applySection(base, { input: { action: "mask" }, mode: "shadow" }, "apps.x");
    expect(spec.mode).toBe("shadow");
    expect(spec.policy.input).toEqual({ ...base.policy.input, action: "mask" });
    expect(spec.policy.output).toEqual(base.policy.output);
    expect(spec.engines).toEqual(["keywords", "openai"]);
    expect(spec.settings).toEqual(base.settings);
  });

  it("merges OpenAI thresholds per category, resolves list files, and narrows engines in cost order", () => {
    const spec = applySection(
      base,
      {
        engines: ["openai", "keywords"],
        openai: { thresholds: { violence: 0.9 } },
        keywords: { files: ["strict.txt"], match: "substring" },
      },
      "apps.x",
      (file) => `/policies/${file}`,
    );
    expect(spec.engines).toEqual(["keywords", "openai"]);
    expect(spec.settings.openai?.thresholds).toEqual({ violence: 0.9, harassment: 0.6 });
    expect(spec.settings.keywords).toMatchObject({
      listFiles: ["/policies/strict.txt"],
      usingSampleList: false,
      match: "substring",
    });
    expect(base.settings.openai?.thresholds).toEqual({ violence: 0.4, harassment: 0.6 });
  });

  it("sets folds per list file, replacing the file's directives; a file not listed here is an error", async () => {
    const spec = applySection(
      base,
      { keywords: { files: ["zh.txt", "en.txt"], folds: { "zh.txt": ["pinyin", "homophones"], "en.txt": [] } } },
      "apps.x",
      (file) => `/policies/${file}`,
    );
    expect(spec.settings.keywords?.folds).toEqual({
      "/policies/zh.txt": ["pinyin", "homophones"],
      "/policies/en.txt": [],
    });
    // An app over it keeps the folds of the files it still lists.
    const app = applySection(
      spec,
      { keywords: { folds: { "en.txt": ["repeats"] } } },
      "apps.y",
      (file) => `/policies/${file}`,
    );
    expect(app.settings.keywords?.folds).toEqual({
      "/policies/zh.txt": ["pinyin", "homophones"],
      "/policies/en.txt": ["repeats"],
    });
    expect(() =>
      applySection(base, { keywords: { folds: { "other.txt": ["pinyin"] } } }, "apps.z", (file) => `/policies/${file}`),
    ).toThrow(/apps\.z\.keywords\.folds: "other\.txt" is not one of the list files here/);
    await expect(
      parsePolicyFile("apps: { a: { keywords: { files: [zh.txt], folds: { zh.txt: [pinyin, soundex] } } } }", "p.yaml"),
    ).rejects.toThrow('apps.a.keywords.folds."zh.txt"[1]: expected one of chinese, numerals');
  });

  it("refuses an engine the service does not run, naming the section and field", () => {
    const error = (() => {
      try {
        applySection(base, { engines: ["obscenity"], obscenity: { extra_terms: ["x"] } }, 'apps."help desk"');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual([
      expect.stringMatching(/^apps\."help desk"\.engines: the obscenity engine is not running in this service/),
      expect.stringMatching(/^apps\."help desk"\.obscenity: the obscenity engine is not running/),
    ]);
  });

  it("reads apps over default over the environment, and names unknown OpenAI categories", async () => {
    const file = await parsePolicyFile(
      "default: { input: { preset_response: Nope } }\napps:\n  a: { output: { action: block } }\n",
      "p.yaml",
    );
    const resolved = resolvePolicies(base, file, "p.yaml");
    expect(resolved.defaults.policy.input.presetResponse).toBe("Nope");
    expect(resolved.apps.get("a")?.policy).toMatchObject({
      input: { presetResponse: "Nope" },
      output: { action: "block" },
    });
    await expect(parsePolicyFile("apps: { a: { openai: { thresholds: { gore: 0.5 } } } }", "p.yaml")).rejects.toThrow(
      /p\.yaml: apps\.a\.openai\.thresholds\.gore: .*unknown category "gore"/,
    );
    await expect(parsePolicyFile("apps: { a: { engines: [keywords, keywords] } }", "p.yaml")).rejects.toThrow(
      /apps\.a\.engines: an engine is listed twice/,
    );
  });
});
