/** Synthetic keyword lists and texts for the benchmarks, from fixed seeds. */

import { generateTerms, mulberry32 } from "@dify-ext/test-support/random";

export { generateTerms };

/**
 * A synthetic text of `length` characters: random Latin words (and, with `cjk`, 30% random Han
 * runs), with one of `inject` as a word about every 50 words (pass `[]` for none).
 */
export function generateText(length: number, cjk: boolean, seed: number, inject: readonly string[]): string {
  const rand = mulberry32(seed);
  let text = "";
  while (text.length < length) {
    if (inject.length > 0 && rand() < 0.02) {
      text += `${inject[Math.floor(rand() * inject.length)]!} `;
      continue;
    }
    if (cjk && rand() < 0.3) {
      const len = 2 + Math.floor(rand() * 10);
      for (let i = 0; i < len; i++) text += String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
      text += "，";
    } else {
      const len = 2 + Math.floor(rand() * 8);
      let w = "";
      for (let i = 0; i < len; i++) w += String.fromCharCode(0x61 + Math.floor(rand() * 26));
      text += (rand() < 0.1 ? w[0]!.toUpperCase() + w.slice(1) : w) + (rand() < 0.1 ? ". " : " ");
    }
  }
  return text.slice(0, length);
}
