import { describe, expect, it } from "vitest";
import { InjectionRulesError, parseInjectionRules } from "./rules.ts";
import { shippedInjectionRules } from "./engine.ts";

const parse = (text: string) => parseInjectionRules(text, "my-rules.txt");

/** The error a bad file gives, asserting it names the source and the line. */
function failure(text: string, line: number): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InjectionRulesError);
    const e = error as InjectionRulesError;
    expect(e.source).toBe("my-rules.txt");
    expect(e.line).toBe(line);
    expect(e.message.startsWith(`my-rules.txt:${line}: `)).toBe(true);
    return e.message;
  }
  throw new Error("expected the rules to be refused");
}

describe("parseInjectionRules", () => {
  it("reads families, rules, points, gaps, prefixes, raw literals and continuation lines", () => {
    const set = parse(
      [
        "# comment",
        "family VERB: ignore | disregard",
        "family OBJ: instruction* | rules",
        "",
        "rule my.one injection 1: $VERB ..3 previous ..2 $OBJ",
        'rule my.two smuggling 0.5 on input,output: "<|im_start|>" | "say \\"hi\\"\\n"',
        "rule my.three jailbreak .25 on output: no rules",
        "  | no limits",
        "disable my.one",
      ].join("\n"),
    );
    expect(set.source).toBe("my-rules.txt");
    expect(set.disabled).toEqual([{ id: "my.one", line: 9 }]);
    const [one, two, three] = set.rules;
    expect(one).toMatchObject({
      id: "my.one",
      category: "injection",
      weight: 1,
      points: ["input"],
      gaps: [0, 3, 2],
      origin: "my-rules.txt:5",
    });
    expect(one!.slots).toEqual([
      [
        { kind: "words", text: "ignore", prefix: false },
        { kind: "words", text: "disregard", prefix: false },
      ],
      [{ kind: "words", text: "previous", prefix: false }],
      [
        { kind: "words", text: "instruction", prefix: true },
        { kind: "words", text: "rules", prefix: false },
      ],
    ]);
    expect(two).toMatchObject({ weight: 0.5, points: ["input", "output"] });
    expect(two!.slots[0]).toEqual([
      { kind: "raw", text: "<|im_start|>", prefix: false },
      { kind: "raw", text: 'say "hi"\n', prefix: false },
    ]);
    expect(three).toMatchObject({ weight: 0.25, points: ["output"], origin: "my-rules.txt:7" });
    expect(three!.slots[0]!.map((alt) => alt.text)).toEqual(["no rules", "no limits"]);
  });

  it("lets a family use families defined later, and removes duplicate alternatives", () => {
    const set = parse("rule r.x injection 1: $A\nfamily A: $B | x\nfamily B: x | y");
    expect(set.rules[0]!.slots[0]!.map((alt) => alt.text)).toEqual(["x", "y"]);
  });

  it("names the line of every mistake", () => {
    expect(failure("rule r.x injection 1: $NOPE", 1)).toMatch(/unknown family \$NOPE/);
    expect(failure("family A: x\nrule r.x injection heavy: a", 2)).toMatch(/weight "heavy"/);
    expect(failure("rule r.x injection 101: a", 1)).toMatch(/above 0 and at most 100/);
    expect(failure("rule r.x injection -1: a", 1)).toMatch(/above 0 and at most 100/);
    expect(failure("rule r.x injection 0: a", 1)).toMatch(/above 0 and at most 100/);
    expect(failure("\n\nrule r.x injection 1 on everywhere: a", 3)).toMatch(/points are input, output/);
    expect(failure("rule R.X injection 1: a", 1)).toMatch(/rule id "R.X"/);
    expect(failure("rule r.x Injection 1: a", 1)).toMatch(/category "Injection" is neither the engine's own/);
    expect(failure("rule r.x phishing 1: a", 1)).toMatch(
      /category "phishing" is neither the engine's own \(injection, jailbreak, prompt-leak, smuggling\) nor a category of docs\/categories.md/,
    );
    expect(failure("rule r.x custom.Acme 1: a", 1)).toMatch(/not a usable custom category/);
    expect(failure("rule r.x injection 1:", 1)).toMatch(/pattern is empty/);
    expect(failure("rule r.x injection 1: a ..3", 1)).toMatch(/ends with \| or a gap/);
    expect(failure("rule r.x injection 1: a ..x b", 1)).toMatch(/not a gap/);
    expect(failure("rule r.x injection 1: a ..999 b", 1)).toMatch(/larger than \.\.200/);
    expect(failure("rule r.x injection 1: a | | b", 1)).toMatch(/between two alternatives/);
    expect(failure('rule r.x injection 1: "open', 1)).toMatch(/not closed/);
    expect(failure("rule r.x injection 1: in*struct", 1)).toMatch(/may only end/);
    expect(failure("family A: x ..2 y", 1)).toMatch(/cannot contain a gap/);
    expect(failure("family A: x\nfamily A: y", 2)).toMatch(/defined twice \(first on line 1\)/);
    expect(failure("family A: $B\nfamily B: $A", 1)).toMatch(/refers to itself/);
    expect(failure("  | x", 1)).toMatch(/continuation line/);
    expect(failure("rules r.x injection 1: a", 1)).toMatch(/unknown line "rules"/);
    expect(failure("disable", 1)).toMatch(/expected: disable RULE-ID/);
    expect(failure(`rule r.x injection 1: ${Array.from({ length: 9 }, (_, i) => `w${i}`).join(" ..1 ")}`, 1)).toMatch(
      /at most 8 slots/,
    );
  });

  it("reports the line of a rule continued over several lines as its first line", () => {
    expect(failure("# head\nrule r.x injection 1: a\n  | $MISSING\n  | b", 2)).toMatch(/unknown family/);
  });

  it("parses the shipped rules", () => {
    const set = shippedInjectionRules();
    expect(set.source).toBe("shipped");
    expect(set.rules.length).toBeGreaterThan(100);
    const categories = new Set(set.rules.map((rule) => rule.category));
    expect([...categories].sort()).toEqual(["injection", "jailbreak", "prompt-leak", "smuggling"]);
    // Ids are unique: a duplicate would silently replace an earlier shipped rule.
    expect(new Set(set.rules.map((rule) => rule.id)).size).toBe(set.rules.length);
  });
});
