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

/** `count` distinct random Han strings of 2–4 characters (the 2,500 characters from U+4E00), from a fixed seed. */
export function generateChineseTerms(count: number, seed = 3): string[] {
  const rand = mulberry32(seed);
  const out = new Set<string>();
  while (out.size < count) {
    const len = 2 + Math.floor(rand() * 3);
    let w = "";
    for (let i = 0; i < len; i++) w += String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
    out.add(w);
  }
  return [...out];
}

/**
 * A synthetic Chinese text of `length` characters: runs of 4–20 random Han characters (the same
 * 2,500 as the terms) closed by `，` or `。`, with one of `inject` about every 40 runs.
 */
export function generateChineseText(length: number, seed: number, inject: readonly string[]): string {
  const rand = mulberry32(seed);
  let text = "";
  while (text.length < length) {
    if (inject.length > 0 && rand() < 0.025) text += inject[Math.floor(rand() * inject.length)]!;
    const len = 4 + Math.floor(rand() * 17);
    for (let i = 0; i < len; i++) text += String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
    text += rand() < 0.7 ? "，" : "。";
  }
  return text.slice(0, length);
}
