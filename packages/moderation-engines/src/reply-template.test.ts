import { describe, expect, it } from "vitest";
import { compileReplyTemplate, REPLY_PLACEHOLDERS, type ReplyValues, replyTemplateProblem } from "./reply-template.ts";

const values: ReplyValues = {
  category: "hate",
  categories: ["hate", "pii.email"],
  engines: ["keywords", "openai"],
  appId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  requestId: "k8wj9i-18uu",
  terms: ["slur"],
};

describe("reply templates", () => {
  it("fill every placeholder, and keep a fixed text as it is", () => {
    const template = compileReplyTemplate("{category}|{categories}|{engine}|{app_id}|{request_id}|{terms}", {
      allowTerms: true,
    });
    expect(template.render(values)).toBe(
      "hate|hate, pii.email|keywords, openai|0f8fad5b-d9cb-469f-a165-70867728950e|k8wj9i-18uu|slur",
    );
    const fixed = compileReplyTemplate("Sorry, blocked.");
    expect(fixed.fixed).toBe(true);
    expect(fixed.render(values)).toBe("Sorry, blocked.");
  });

  it("write {{ and }} as braces, leave other braces alone, and never take literal text for a placeholder", () => {
    expect(compileReplyTemplate("{{category}} is {category}").render(values)).toBe("{category} is hate");
    expect(compileReplyTemplate('{"error": 1} { x } {1}').render(values)).toBe('{"error": 1} { x } {1}');
    const literal = compileReplyTemplate("category");
    expect(literal.fixed).toBe(true);
    expect(literal.render(values)).toBe("category");
  });

  it("name an unknown placeholder and list the known ones; {terms} needs the opt-in", () => {
    const problem = replyTemplateProblem("Blocked for {Category}");
    expect(problem).toMatch(/^unknown placeholder \{Category\}; known: /);
    for (const name of REPLY_PLACEHOLDERS) expect(problem).toContain(`{${name}}`);
    expect(problem).not.toContain("{terms}");
    expect(replyTemplateProblem("{terms}")).toMatch(/needs reply_shows_terms: true/);
    expect(replyTemplateProblem("{terms}", { allowTerms: true })).toBeUndefined();
    expect(replyTemplateProblem("{__proto__} {constructor}")).toMatch(/unknown placeholder \{__proto__\}/);
  });

  it("recognise their own renderings only: each placeholder matches only what it renders to", () => {
    const template = compileReplyTemplate("Blocked ({category}), ref {request_id} in {app_id}.");
    const rendered = template.render(values);
    expect(template.recognizes(rendered, values.appId)).toBe(true);
    expect(template.recognizes(rendered, "another-app")).toBe(false);
    expect(template.recognizes("Blocked (Hate Speech!), ref k8wj9i-18uu in x.", "x")).toBe(false);
    expect(template.recognizes(`${rendered} and more`, values.appId)).toBe(false);
    expect(template.recognizes("Blocked (hate), ref a b in x.", "x")).toBe(false);
    // A text far longer than any rendering is not even tried.
    expect(template.recognizes(`Blocked (hate), ref x in ${"y".repeat(5000)}.`, "y".repeat(5000))).toBe(false);
    const withTerms = compileReplyTemplate("Avoid {terms}", { allowTerms: true });
    expect(withTerms.usesTerms).toBe(true);
    expect(withTerms.recognizes("Avoid slur", undefined)).toBe(false);
  });

  it("show at most 200 characters of an app id, and recognise that", () => {
    const long = "a".repeat(300);
    const template = compileReplyTemplate("app {app_id}");
    const rendered = template.render({ ...values, appId: long });
    expect(rendered).toBe(`app ${"a".repeat(200)}`);
    expect(template.recognizes(rendered, long)).toBe(true);
  });
});
