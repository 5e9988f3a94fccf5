/**
 * The text folds of Chinese keyword lists besides Traditional/Simplified (`chinese-fold.ts`):
 * `numerals` (Chinese digits read as 0–9), `lookalikes` (radical forms read as the character they
 * stand for; two components written for one character, `氵去` for `法`) and `repeats` (a run of one
 * character read as one). Terms and texts are folded alike; see docs/keywords.md for the rules.
 *
 * Numerals and radical forms map one code unit to one, in place, so offsets never move. Repeats
 * and component splits contract the text: they write a new buffer whose units map to the original
 * ranges they came from, so findings still cover exactly the original characters.
 *
 * Platform-neutral: runs in Node and in Workers.
 */
import { chineseFoldTable } from "./chinese-fold.ts";
import { COMPONENT_SPLITS, RADICAL_FORMS } from "./lookalikes-data.ts";
import { NormalizedBuffer } from "./normalize.ts";

/**
 * Chinese digits and what they are read as: the common (〇 一 … 九, and ○ as writers use it for
 * zero), the financial (壹 贰 叁 … 玖, Traditional 貳 參 陸 too) and the spoken forms (幺 for one
 * and 两/兩 for two, as in phone numbers). Positional numerals (十 百 千 万 亿, 拾 佰 仟) are not
 * digits and are left alone: 二十 is not read as 20.
 */
export const CHINESE_DIGITS: Readonly<Record<string, string>> = Object.freeze({
  〇: "0",
  "○": "0",
  零: "0",
  一: "1",
  壹: "1",
  幺: "1",
  二: "2",
  贰: "2",
  貳: "2",
  两: "2",
  兩: "2",
  三: "3",
  叁: "3",
  參: "3",
  叄: "3",
  弎: "3",
  四: "4",
  肆: "4",
  五: "5",
  伍: "5",
  六: "6",
  陆: "6",
  陸: "6",
  七: "7",
  柒: "7",
  八: "8",
  捌: "8",
  九: "9",
  玖: "9",
});

const digitOf = new Uint16Array(0x10000);
for (const [ch, digit] of Object.entries(CHINESE_DIGITS)) digitOf[ch.charCodeAt(0)] = digit.charCodeAt(0);

/** The ASCII digit a Chinese digit is read as, or 0. */
export function chineseDigit(unit: number): number {
  return digitOf[unit]!;
}

/**
 * Folds Chinese digits to ASCII digits in place, marking in `fromNumeral` (when given) the units
 * that were one, so that word boundaries can tell a Chinese numeral from a digit written as one.
 */
export function foldNumeralsInto(buffer: NormalizedBuffer, fromNumeral?: Uint8Array): void {
  const units = buffer.units;
  for (let i = 0; i < buffer.length; i++) {
    const d = digitOf[units[i]!]!;
    if (d !== 0) {
      units[i] = d;
      if (fromNumeral) fromNumeral[i] = 1;
    }
  }
}

/** Folds Chinese digits of a string to ASCII digits. */
export function foldNumerals(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const d = digitOf[s.charCodeAt(i)]!;
    out += d === 0 ? s[i] : String.fromCharCode(d);
  }
  return out;
}

interface LookalikeTable {
  /** Radical form (BMP) → the character it is written for; 0 for none. */
  radical: Uint16Array;
  /** 1 for a code unit that starts the first component of a split (BMP, or a high surrogate). */
  firstUnit: Uint8Array;
  /** "first component + second component" → the character, with and without the Chinese fold. */
  pairs: Map<string, string>;
  pairsFolded: Map<string, string>;
  bytes: number;
}

let lookalikes: LookalikeTable | undefined;

function foldChineseString(s: string): string {
  const { bmp, astral } = chineseFoldTable();
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const f = cp < 0x10000 ? bmp[cp]! : (astral.get(cp) ?? 0);
    out += f === 0 ? ch : String.fromCodePoint(f);
  }
  return out;
}

/**
 * The look-alike table (built on first use, from `lookalikes-data.ts`): radical forms, and the
 * component splits as pairs to recompose. Components are folded like text is (radical forms, and
 * for lists that also fold Chinese, Traditional/Simplified) so that they meet the folded text.
 */
export function lookalikeTable(): LookalikeTable {
  if (lookalikes) return lookalikes;
  const radical = new Uint16Array(0x10000);
  for (let i = 0; i + 1 < RADICAL_FORMS.length; i += 2) {
    radical[RADICAL_FORMS.charCodeAt(i)] = RADICAL_FORMS.charCodeAt(i + 1);
  }
  const unradical = (s: string) => {
    let out = "";
    for (let i = 0; i < s.length; i++) {
      const r = radical[s.charCodeAt(i)]!;
      out += r === 0 ? s[i] : String.fromCharCode(r);
    }
    return out;
  };
  const firstUnit = new Uint8Array(0x10000);
  const pairs = new Map<string, string>();
  const pairsFolded = new Map<string, string>();
  for (const entry of COMPONENT_SPLITS.split("|")) {
    const [ch, first, second] = Array.from(entry);
    if (ch === undefined || first === undefined || second === undefined) continue;
    const pair = unradical(first) + unradical(second);
    if (!pairs.has(pair)) pairs.set(pair, ch);
    const folded = foldChineseString(pair);
    if (!pairsFolded.has(folded)) pairsFolded.set(folded, foldChineseString(ch));
    firstUnit[pair.charCodeAt(0)] = 1;
    firstUnit[folded.charCodeAt(0)] = 1;
  }
  lookalikes = {
    radical,
    firstUnit,
    pairs,
    pairsFolded,
    bytes: radical.byteLength + firstUnit.byteLength + (pairs.size + pairsFolded.size) * 48,
  };
  return lookalikes;
}

/** Replaces radical forms by the character they stand for, in place (one unit for one). */
export function foldRadicalsInto(buffer: NormalizedBuffer): void {
  const { radical } = lookalikeTable();
  const units = buffer.units;
  for (let i = 0; i < buffer.length; i++) {
    const c = units[i]!;
    if (c < 0x2e80 || c > 0x2eff) continue;
    const r = radical[c]!;
    if (r !== 0) units[i] = r;
  }
}

/** Replaces radical forms of a string by the character they stand for. */
export function foldRadicals(s: string): string {
  const { radical } = lookalikeTable();
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const r = radical[s.charCodeAt(i)]!;
    out += r === 0 ? s[i] : String.fromCharCode(r);
  }
  return out;
}

function codePointLength(units: Uint16Array, i: number, length: number): number {
  const c = units[i]!;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
    const d = units[i + 1]!;
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Writes into `out` the text of `src` with every pair of adjacent components that splits a
 * character replaced by that character (greedily, left to right; one level: a recomposed character
 * is not recomposed again). The new unit maps to the original range of both components. Returns
 * false, leaving `out` alone, when there is no pair to recompose (the usual case).
 */
export function recomposeInto(
  src: NormalizedBuffer,
  out: NormalizedBuffer,
  chinese: boolean,
  fromNumeral?: { src: Uint8Array; out: Uint8Array },
): boolean {
  const { firstUnit, pairs, pairsFolded } = lookalikeTable();
  const table = chinese ? pairsFolded : pairs;
  const units = src.units;
  const n = src.length;
  let found = -1;
  for (let i = 0; i < n && found < 0; i++) {
    if (firstUnit[units[i]!] === 0) continue;
    const a = codePointLength(units, i, n);
    if (i + a >= n) break;
    const b = codePointLength(units, i + a, n);
    if (table.has(String.fromCharCode(...units.subarray(i, i + a + b)))) found = i;
  }
  if (found < 0) return false;
  out.ensure(n);
  out.identity = false;
  let m = 0;
  for (let i = 0; i < n; ) {
    const a = codePointLength(units, i, n);
    if (firstUnit[units[i]!] !== 0 && i + a < n) {
      const b = codePointLength(units, i + a, n);
      const ch = table.get(String.fromCharCode(...units.subarray(i, i + a + b)));
      if (ch !== undefined) {
        for (let k = 0; k < ch.length; k++) {
          out.units[m] = ch.charCodeAt(k);
          out.mapStart[m] = src.originalStart(i);
          out.mapEnd[m] = src.originalEnd(i + a + b - 1);
          if (fromNumeral) fromNumeral.out[m] = 0;
          m++;
        }
        i += a + b;
        continue;
      }
    }
    for (let k = 0; k < a; k++) {
      out.units[m] = units[i + k]!;
      out.mapStart[m] = src.originalStart(i + k);
      out.mapEnd[m] = src.originalEnd(i + k);
      if (fromNumeral) fromNumeral.out[m] = fromNumeral.src[i + k]!;
      m++;
    }
    i += a;
  }
  out.length = m;
  return true;
}

const HAN_RE = /^\p{scx=Han}$/u;
// 0 unknown, 1 Han, 2 not Han.
const hanClass = new Uint8Array(0x10000);
const astralHan = new Map<number, boolean>();

/** True for a Han character (Unicode Script_Extensions=Han), the characters `repeats` collapses. */
export function isHan(cp: number): boolean {
  if (cp < 0x10000) {
    let c = hanClass[cp]!;
    if (c === 0) {
      c = HAN_RE.test(String.fromCharCode(cp)) && !(cp >= 0xd800 && cp <= 0xdfff) ? 1 : 2;
      hanClass[cp] = c;
    }
    return c === 1;
  }
  let h = astralHan.get(cp);
  if (h === undefined) {
    h = HAN_RE.test(String.fromCodePoint(cp));
    astralHan.set(cp, h);
  }
  return h;
}

/**
 * Writes into `out` the text of `src` with every run of one Han character (adjacent, as folded)
 * written once; `runs[k]` is how many times unit `k` of `out` stood in `src` (the first unit of a
 * surrogate pair carries the count). The unit maps to the original range of the whole run.
 */
export function contractRepeatsInto(
  src: NormalizedBuffer,
  out: NormalizedBuffer,
  runs: { value: Uint16Array },
  fromNumeral?: { src: Uint8Array; out: Uint8Array },
): void {
  const units = src.units;
  const n = src.length;
  out.ensure(n);
  out.identity = false;
  if (runs.value.length < out.units.length) runs.value = new Uint16Array(out.units.length);
  const counts = runs.value;
  let m = 0;
  for (let i = 0; i < n; ) {
    const a = codePointLength(units, i, n);
    const cp = a === 2 ? ((units[i]! - 0xd800) << 10) + (units[i + 1]! - 0xdc00) + 0x10000 : units[i]!;
    let j = i + a;
    let count = 1;
    if (cp >= 0x2e80 && isHan(cp)) {
      while (j + a <= n && units[j] === units[i] && (a === 1 || units[j + 1] === units[i + 1])) {
        j += a;
        count++;
      }
    }
    for (let k = 0; k < a; k++) {
      out.units[m + k] = units[i + k]!;
      out.mapStart[m + k] = src.originalStart(i);
      out.mapEnd[m + k] = src.originalEnd(j - 1);
      counts[m + k] = Math.min(count, 0xffff);
      if (fromNumeral) fromNumeral.out[m + k] = fromNumeral.src[i + k]!;
    }
    m += a;
    i = j;
  }
  out.length = m;
}

/**
 * A term with its runs of one Han character written once (as {@link contractRepeatsInto} does to
 * texts), and how many times each unit stood in the term: a term's own repeats (`妈妈`) must be
 * there at least as often in the text. `runs` is undefined when the term has none.
 */
export function contractTermRepeats(term: string): { key: string; runs?: Uint16Array } {
  const buffer = new NormalizedBuffer();
  buffer.ensure(term.length);
  for (let i = 0; i < term.length; i++) buffer.units[i] = term.charCodeAt(i);
  buffer.length = term.length;
  buffer.identity = true;
  const out = new NormalizedBuffer();
  const runs = { value: new Uint16Array(0) };
  contractRepeatsInto(buffer, out, runs);
  const key = out.toString();
  if (key.length === term.length) return { key };
  return { key, runs: runs.value.slice(0, out.length) };
}
