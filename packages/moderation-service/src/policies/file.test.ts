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

/** The problems of a file that must not parse or resolve. */
async function fileProblems(text: string): Promise<string[]> {
  try {
    resolvePolicies(base, await parsePolicyFile(text, "policy.yaml"), "policy.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("per-category actions, reply templates and webhooks in the file", () => {
  it("reads category rules (an action, or an action and a reply), merged per category from default to app", async () => {
    const file = await parsePolicyFile(
      [
        "default:",
        "  input:",
        "    categories:",
        "      pii: mask",
        '      hate: { action: block, preset_response: "No hate speech ({category}), ref {request_id}." }',
        "apps:",
        "  a:",
        "    input: { action: shadow, categories: { hate: shadow, pii.email: pass } }",
      ].join("\n"),
      "policy.yaml",
    );
    const resolved = resolvePolicies(base, file, "policy.yaml");
    expect(resolved.defaults.policy.input.categories).toEqual({
      pii: { action: "mask" },
      hate: { action: "block", presetResponse: "No hate speech ({category}), ref {request_id}." },
    });
    expect(resolved.apps.get("a")?.policy.input).toMatchObject({
      action: "shadow",
      categories: {
        pii: { action: "mask" },
        "pii.email": { action: "pass" },
        hate: { action: "shadow", presetResponse: "No hate speech ({category}), ref {request_id}." },
      },
    });
  });

  it("names the file, the app and the field of every bad category, action or template", async () => {
    expect(
      await fileProblems(
        [
          "apps:",
          "  tutor:",
          "    input:",
          "      action: erase",
          "      preset_response: 'Blocked: {reason}'",
          "      categories: { gore: block, pii: { action: hide }, __proto__: pass }",
        ].join("\n"),
      ),
    ).toEqual([
      "policy.yaml: apps.tutor.input.action: expected block, mask, shadow or pass",
      expect.stringMatching(
        /^policy\.yaml: apps\.tutor\.input\.preset_response: unknown placeholder \{reason\}; known: /,
      ),
      expect.stringMatching(/^policy\.yaml: apps\.tutor\.input\.categories\.gore: unknown category "gore"/),
      "policy.yaml: apps.tutor.input.categories.pii.action: expected block, mask, shadow or pass",
      expect.stringMatching(/^policy\.yaml: apps\.tutor\.input\.categories\.__proto__: unknown category "__proto__"/),
    ]);
  });

  it("allows {terms} only where reply_shows_terms is on, naming the field", async () => {
    expect(await fileProblems("apps:\n  a:\n    output: { preset_response: 'Avoid {terms}' }\n")).toEqual([
      expect.stringMatching(
        /^policy\.yaml: apps\.a\.output\.preset_response: \{terms\} shows the matched list terms to the end user/,
      ),
    ]);
    expect(
      await fileProblems(
        "default: { reply_shows_terms: true, input: { categories: { hate: { preset_response: 'Avoid {terms}' } } } }\napps:\n  b: { reply_shows_terms: false }\n",
      ),
    ).toEqual([
      "policy.yaml: apps.b.reply_shows_terms: false turns off {terms}, which the input.categories.hate.preset_response this section inherits uses",
    ]);
    const file = await parsePolicyFile(
      "apps:\n  a: { reply_shows_terms: true, output: { preset_response: 'Avoid {terms}' } }\n",
      "policy.yaml",
    );
    expect(resolvePolicies(base, file, "policy.yaml").apps.get("a")?.policy.replyShowsTerms).toBe(true);
  });

  it("gives apps a receiver of their own or none, and names a bad one", async () => {
    const withUrl = envSpec({
      policy: base.policy,
      engines: base.settings,
      webhook: { target: { url: "https://hooks.example/all", format: "json", where: "MODERATION_WEBHOOK_URL" } },
    });
    const file = await parsePolicyFile(
      [
        "apps:",
        "  team-a: { webhook: { url: 'https://a.example/hook', secret: team_a } }",
        "  team-b: { webhook: { url: 'https://hooks.slack.com/services/T/B/x', format: slack } }",
        "  quiet: { webhook: false }",
      ].join("\n"),
      "policy.yaml",
    );
    const resolved = resolvePolicies(withUrl, file, "policy.yaml");
    expect(resolved.defaults.webhook?.url).toBe("https://hooks.example/all");
    expect(resolved.apps.get("team-a")?.webhook).toEqual({
      url: "https://a.example/hook",
      format: "json",
      secret: "team_a",
      where: 'apps."team-a".webhook',
    });
    expect(resolved.apps.get("team-b")?.webhook).toMatchObject({ format: "slack" });
    expect(resolved.apps.get("quiet")?.webhook).toBeUndefined();
    const problems = await fileProblems(
      [
        "apps:",
        "  x: { webhook: { url: 'ftp://files.example/secret-path' } }",
        "  y: { webhook: { format: slack } }",
        "  z: { webhook: { url: 'https://z.example', secret: 'bad name' } }",
      ].join("\n"),
    );
    expect(problems).toEqual([
      "policy.yaml: apps.x.webhook.url: expected an http:// or https:// URL",
      "policy.yaml: apps.y.webhook.url: expected a url, or webhook: false for none",
      expect.stringMatching(/^policy\.yaml: apps\.z\.webhook\.secret: expected a name of 1 to 40 letters/),
    ]);
    // A URL is never echoed in an error: a Slack webhook's URL is its secret.
    expect(problems.join("\n")).not.toContain("secret-path");
  });
});
