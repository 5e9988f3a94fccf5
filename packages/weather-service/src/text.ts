// Small text helpers shared by the place parser and the result formatter. Lengths are counted in
// UTF-16 code units (`string.length`), which is never less than the code-point count Dify and
// the model see, so a limit that holds here holds there too.

// C0/C1 controls and bidirectional overrides/isolates (which can make a quoted name render
// misleadingly); whitespace controls are turned into spaces first.
const INVISIBLE = /[\p{Cc}\u200B\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/gu;

// A surrogate half without its partner (possible in JSON input via "\ud800").
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Remove control and bidi characters, replace lone surrogates, collapse whitespace runs to one space, trim. */
export function cleanText(text: string): string {
  return text
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(/[\t\n\v\f\r]/g, " ")
    .replace(INVISIBLE, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** True when `text` has no lone surrogate (`String#isWellFormed`, which ES2023 typings lack). */
export function isWellFormed(text: string): boolean {
  return !new RegExp(LONE_SURROGATE.source).test(text);
}

/**
 * Shorten `text` to at most `max` UTF-16 units, ending with "…" when cut. Cuts at the last space
 * when one is near the end, never inside a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return max === 1 ? "…" : "";
  let cut = "";
  for (const char of text) {
    if (cut.length + char.length > max - 1) break;
    cut += char;
  }
  const space = cut.lastIndexOf(" ");
  if (space >= Math.max(1, cut.length - 20)) cut = cut.slice(0, space);
  return `${cut.replace(/[\s,;:.]+$/u, "")}…`;
}

/** Case-, accent- and punctuation-insensitive form for comparing names: "Île-de-France" → "iledefrance". */
export function compactKey(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}
