import { mulberry32 } from "@dify-ext/test-support/random";
import { afterEach, describe, expect, it } from "vitest";
import { createPiiEngine } from "./index.ts";

/**
 * The cost of phone-like text (issue 22, hole 4), checked without a clock: libphonenumber-js builds
 * a `RegExp` from its metadata for every pattern it tries, on every parse, so a text of thousands
 * of `+<digits>` runs cost seconds. The engine compiles each pattern once; judging a text again
 * builds none. (Time per character against prose: `bench/src/pii-bench.ts`, docs/performance.md.)
 */
const NativeRegExp = globalThis.RegExp;
let built = 0;

/** Counts every `new RegExp(…)` and `RegExp(…)` while `judge` runs. */
async function regExpsBuiltBy(judge: () => Promise<unknown>): Promise<number> {
  built = 0;
  globalThis.RegExp = new Proxy(NativeRegExp, {
    construct(target, args, newTarget) {
      built++;
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, self, args) {
      built++;
      return Reflect.apply(target, self, args);
    },
  });
  try {
    await judge();
  } finally {
    globalThis.RegExp = NativeRegExp;
  }
  return built;
}

afterEach(() => {
  globalThis.RegExp = NativeRegExp;
});

/** Random `+` numbers of 10–13 digits, every one different. */
function randomInternational(count: number, seed: number): string {
  const rand = mulberry32(seed);
  const numbers: string[] = [];
  for (let i = 0; i < count; i++) {
    let digits = String(1 + Math.floor(rand() * 9));
    const length = 10 + Math.floor(rand() * 4);
    while (digits.length < length) digits += String(Math.floor(rand() * 10));
    numbers.push(`+${digits}`);
  }
  return numbers.join(" ");
}

describe("the pii engine on phone-like text", () => {
  const engine = createPiiEngine();
  const texts = [
    "+861380013800 ".repeat(1500),
    "+8613800138000 ".repeat(1500),
    "+44 20 7946 0958 / ".repeat(1000),
    randomInternational(3000, 7),
    "415 555 2671  212 555 0198  ".repeat(500),
  ];
  const judgeAll = () => engine.moderate(texts, { point: "input" });

  it("builds no regular expression per candidate: judged again, thousands of numbers build none", async () => {
    await judgeAll();
    expect(await regExpsBuiltBy(judgeAll)).toBe(0);
  });

  it("finds the same numbers either time", async () => {
    const [first, second] = [await judgeAll(), await judgeAll()];
    expect(second).toEqual(first);
    expect(first[1]!.findings).toHaveLength(1500);
    expect(first[2]!.findings).toHaveLength(1000);
  });
});
