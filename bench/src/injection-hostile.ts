/**
 * How the injection matcher's cost grows on hostile text: each kind of text of
 * `@dify-ext/test-support/hostile-injection` judged at 50,000 and at 1,000,000 characters, the two
 * sizes interleaved, the fastest of several rounds each. Linear cost gives about 20x, quadratic
 * 400x. `cd bench && pnpm exec tsx src/injection-hostile.ts [rounds]`.
 */
import { buildInjectionMatcher } from "@dify-ext/moderation-engines/injection";
import { HOSTILE_INJECTION_TEXTS, repeatTo } from "@dify-ext/test-support/hostile-injection";

const rounds = Number(process.argv[2] ?? 5);
const matcher = buildInjectionMatcher({ canaries: ["DIFY-CANARY-7f3a9c"] });
const ms = (run: () => unknown) => {
  const started = performance.now();
  run();
  return performance.now() - started;
};

console.log(`| text | 50k chars, ms | 1M chars, ms | ratio (20x = linear) |`);
console.log(`| --- | ---: | ---: | ---: |`);
for (const [name, unit] of HOSTILE_INJECTION_TEXTS) {
  const small = repeatTo(unit, 50_000);
  const large = repeatTo(unit, 1_000_000);
  let smallMs = Number.POSITIVE_INFINITY;
  let largeMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    smallMs = Math.min(
      smallMs,
      ms(() => matcher.judge(small, "input")),
    );
    largeMs = Math.min(
      largeMs,
      ms(() => matcher.judge(large, "input")),
    );
  }
  console.log(`| ${name} | ${smallMs.toFixed(2)} | ${largeMs.toFixed(1)} | ${(largeMs / smallMs).toFixed(1)}x |`);
}
