/**
 * Test fixture: synthetic keyword lists for the matcher's scale test and a seeded PRNG for the
 * automaton test (matcher.test.ts, automaton.test.ts). No product code imports it; the benchmark's
 * own generator is bench/src/synthetic.ts. It goes once those tests import their helpers from
 * `@dify-ext/test-support` instead.
 */

import { mulberry32 } from "@dify-ext/test-support/random";

export { mulberry32 };

/** Generates `count` distinct terms: 70% random Latin words, 30% random Han strings. */
export function generateTerms(count: number, seed = 1): string[] {
  const rand = mulberry32(seed);
  const out = new Set<string>();
  while (out.size < count) {
    if (rand() < 0.7) {
      const len = 4 + Math.floor(rand() * 7);
      let w = "";
      for (let i = 0; i < len; i++) w += String.fromCharCode(0x61 + Math.floor(rand() * 26));
      out.add(w);
    } else {
      const len = 2 + Math.floor(rand() * 3);
      let w = "";
      for (let i = 0; i < len; i++) w += String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
      out.add(w);
    }
  }
  return [...out];
}
