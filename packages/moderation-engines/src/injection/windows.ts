/**
 * Windows of a long text that fit a classifier's input (512 tokens for Prompt Guard 2 and the
 * protectai model), cut by an estimate of the tokens, since the engine has no tokenizer:
 *
 * - a Chinese, Japanese, Korean or Thai character counts as one token (SentencePiece vocabularies
 *   hold most of them as single pieces, some as two: the margin covers those);
 * - an ASCII letter, digit or punctuation mark as a quarter token (English averages about four
 *   characters per token);
 * - any other character as half a token (Cyrillic, Arabic, Devanagari… split finer);
 * - whitespace as nothing (SentencePiece folds it into the next piece).
 *
 * Each window is budgeted at 90% of the model's tokens minus its two special tokens; the server is
 * also asked to truncate (`truncate` / `truncate_prompt_tokens`), so an underestimate costs the end
 * of one window, never an error.
 */

const CJK_RE = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}\p{scx=Thai}\p{scx=Bopomofo}]$/u;

/** Estimated tokens of one code point. */
export function tokenCost(cp: number): number {
  if (cp === 0x20 || cp === 0x0a || cp === 0x09 || cp === 0x0d) return 0;
  if (cp < 0x80) return 0.25;
  if (/^\s$/u.test(String.fromCodePoint(cp))) return 0;
  return CJK_RE.test(String.fromCodePoint(cp)) ? 1 : 0.5;
}

/** The estimated tokens a window may hold for a model of `maxTokens`. */
export function windowBudget(maxTokens: number): number {
  return Math.max(1, Math.floor((maxTokens - 2) * 0.9));
}

/**
 * Splits `text` into windows of at most `windowBudget(maxTokens)` estimated tokens, consecutive
 * windows sharing about `overlapTokens`. Windows are cut at code points, counted from the start of
 * the text (a text's windows do not depend on what follows them). A text within the budget is one
 * window. Linear in the length of the text.
 */
export function splitByTokens(text: string, maxTokens: number, overlapTokens: number): string[] {
  const budget = windowBudget(maxTokens);
  const overlap = Math.min(overlapTokens, Math.floor(budget / 2));
  const starts: number[] = [];
  const costs: number[] = [];
  let total = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    starts.push(i);
    const cost = tokenCost(cp);
    costs.push(cost);
    total += cost;
    i += cp > 0xffff ? 2 : 1;
  }
  if (total <= budget) return [text];
  const windows: string[] = [];
  const n = starts.length;
  let from = 0;
  let end = 0;
  let inWindow = 0;
  while (from < n) {
    // Extend the window as far as the budget allows (at least one code point).
    while (end < n && (end === from || inWindow + costs[end]! <= budget)) inWindow += costs[end++]!;
    windows.push(text.slice(starts[from]!, end < n ? starts[end]! : text.length));
    if (end >= n) break;
    // The next window starts where only `overlap` tokens of this one remain.
    let next = from;
    let dropped = 0;
    while (next < end - 1 && inWindow - dropped - costs[next]! >= overlap) dropped += costs[next++]!;
    if (next === from) next = from + 1;
    for (let k = from; k < next; k++) inWindow -= costs[k]!;
    from = next;
  }
  return windows;
}
