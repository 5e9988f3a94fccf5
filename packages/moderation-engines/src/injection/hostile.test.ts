/**
 * Judging stays bounded on hostile input: 1 MB texts built to make a matcher work hard (repeated
 * rule words, endless chains, blobs, tag characters, variation selectors, spaced letters) are
 * judged at both points, with findings bounded and spans within the text. How the cost grows with
 * the length is a benchmark's job, not a test's (a timing on a loaded machine proves nothing):
 * `cd bench && pnpm exec tsx src/injection-hostile.ts` prints it per kind of text.
 */
import { HOSTILE_INJECTION_TEXTS, repeatTo } from "@dify-ext/test-support/hostile-injection";
import { describe, expect, it } from "vitest";
import { buildInjectionMatcher } from "./engine.ts";

const MB = 1_000_000;

describe("hostile 1 MB texts", () => {
  const matcher = buildInjectionMatcher({ canaries: ["DIFY-CANARY-7f3a9c"] });

  it.each(HOSTILE_INJECTION_TEXTS)(
    "%s: judged, its findings bounded",
    (_name, unit) => {
      const large = repeatTo(unit, MB);
      for (const point of ["input", "output"] as const) {
        const judged = matcher.judge(large, point);
        expect(judged.findings.length).toBeLessThanOrEqual(matcher.options.maxFindings);
        for (const f of judged.findings) expect(f.end).toBeLessThanOrEqual(large.length);
      }
    },
    120_000,
  );
});
