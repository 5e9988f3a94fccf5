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
import type { NormalizedBuffer } from "./normalize.ts";

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

/** Marks on the units of a folded buffer: the unit was a Chinese numeral / is a recomposed character. */
export const MARK_NUMERAL = 1;
export const MARK_RECOMPOSED = 2;

const digitOf = new Uint16Array(0x10000);
for (const [ch, digit] of Object.entries(CHINESE_DIGITS)) digitOf[ch.charCodeAt(0)] = digit.charCodeAt(0);

/** The ASCII digit a Chinese digit is read as, or 0. */
export function chineseDigit(unit: number): number {
  return digitOf[unit]!;
}

interface LookalikeTable {
  /** Radical form (BMP) → the character it is written for; 0 for none. */
  radical: Uint16Array;
  bytes: number;
}

let lookalikes: LookalikeTable | undefined;

/** The look-alike table's radical forms (built on first use, from `lookalikes-data.ts`). */
export function lookalikeTable(): LookalikeTable {
  if (lookalikes) return lookalikes;
  const radical = new Uint16Array(0x10000);
  for (let i = 0; i + 1 < RADICAL_FORMS.length; i += 2) {
    radical[RADICAL_FORMS.charCodeAt(i)] = RADICAL_FORMS.charCodeAt(i + 1);
  }
  lookalikes = { radical, bytes: radical.byteLength };
  return lookalikes;
}

/**
 * How a group of lists folds the text in place, one code unit for one: radical forms (with
 * `lookalikes`), then Traditional/Simplified (with `chinese`), then Chinese digits (with
 * `numerals`), composed into one table so that the text is read once.
 */
export interface TextFoldTable {
  /** BMP unit → its folded unit; 0 where it stays. */
  readonly unit: Uint16Array;
  /** 1 for a unit that is a Chinese digit (marked {@link MARK_NUMERAL} when folded). */
  readonly numeral: Uint8Array;
  /** Traditional/Simplified of characters outside the BMP (with `chinese`). */
  readonly astral?: ReadonlyMap<number, number>;
  /** Folds one code point the same way. */
  readonly fold: (cp: number) => number;
  readonly bytes: number;
}

const textFoldTables = new Map<string, TextFoldTable>();

/** The in-place fold of a group with these folds (built once per combination). */
export function textFoldTable(chinese: boolean, lookalikes: boolean, numerals: boolean): TextFoldTable {
  const key = `${+chinese}${+lookalikes}${+numerals}`;
  let table = textFoldTables.get(key);
  if (table) return table;
  const radical = lookalikes ? lookalikeTable().radical : undefined;
  const cc = chinese ? chineseFoldTable() : undefined;
  const fold = (cp: number): number => {
    let f = cp;
    if (radical && f < 0x10000 && radical[f] !== 0) f = radical[f]!;
    if (cc) {
      const k = f < 0x10000 ? cc.bmp[f]! : (cc.astral.get(f) ?? 0);
      if (k !== 0) f = k;
    }
    if (numerals && f < 0x10000 && digitOf[f] !== 0) f = digitOf[f]!;
    return f;
  };
  const unit = new Uint16Array(0x10000);
  const numeral = new Uint8Array(0x10000);
  for (let u = 0x80; u < 0x10000; u++) {
    if (u >= 0xd800 && u <= 0xdfff) continue;
    const f = fold(u);
    if (f !== u && f < 0x10000) unit[u] = f;
    if (numerals && f >= 0x30 && f <= 0x39) numeral[u] = 1;
  }
  table = {
    unit,
    numeral,
    ...(cc && cc.astral.size > 0 ? { astral: cc.astral } : {}),
    fold,
    bytes: unit.byteLength + numeral.byteLength,
  };
  textFoldTables.set(key, table);
  return table;
}

/**
 * Folds a buffer in place with a group's table, writing each unit's marks into `marks` (a
 * Chinese digit: {@link MARK_NUMERAL}; else 0).
 */
export function foldTextInto(buffer: NormalizedBuffer, table: TextFoldTable, marks: Uint8Array): void {
  const units = buffer.units;
  const { unit, numeral, astral } = table;
  const n = buffer.length;
  for (let i = 0; i < n; i++) {
    const u = units[i]!;
    const f = unit[u]!;
    marks[i] = numeral[u]!;
    if (f !== 0) units[i] = f;
    else if (astral && u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
      const d = units[i + 1]!;
      if (d >= 0xdc00 && d <= 0xdfff) {
        const g = astral.get(((u - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        if (g !== undefined && g > 0xffff) {
          units[i] = 0xd800 + ((g - 0x10000) >> 10);
          units[i + 1] = 0xdc00 + ((g - 0x10000) & 0x3ff);
        }
        marks[i + 1] = 0;
        i++;
      }
    }
  }
}

/** Component splits as pairs to recompose, keyed by components folded the way a group folds text. */
export interface PairTable {
  /** 1 for a code unit that starts the first component of a split (BMP, or a high surrogate). */
  readonly firstUnit: Uint8Array;
  /** BMP pairs, `first * 0x10000 + second` → the character (BMP), folded. */
  readonly pairs: ReadonlyMap<number, number>;
  /**
   * The BMP pairs as a hashed bit set ({@link pairBit}): most units start the first component of
   * some split, and a clear bit rules the pair out without a look in `pairs`.
   */
  readonly pairFilter: Int32Array;
  /** Pairs with a component or a character outside the BMP, as strings. */
  readonly astralPairs: ReadonlyMap<string, string>;
  readonly bytes: number;
}

const pairTables = new Map<TextFoldTable, PairTable>();

/** Bits of {@link PairTable.pairFilter}: 2^18 (32 KiB) for about 8,000 pairs, one false positive in 30. */
const PAIR_FILTER_BITS = 18;

/** The bit of a BMP pair of units in {@link PairTable.pairFilter}. */
function pairBit(first: number, second: number): number {
  return Math.imul((first << 16) | second, 0x9e3779b1) >>> (32 - PAIR_FILTER_BITS);
}

/** The component splits of `lookalikes-data.ts`, folded by `fold` (built once per fold table). */
export function pairTable(fold: TextFoldTable): PairTable {
  let table = pairTables.get(fold);
  if (table) return table;
  const foldString = (s: string) => {
    let out = "";
    for (const ch of s) out += String.fromCodePoint(fold.fold(ch.codePointAt(0)!));
    return out;
  };
  const firstUnit = new Uint8Array(0x10000);
  const pairs = new Map<number, number>();
  const pairFilter = new Int32Array(1 << (PAIR_FILTER_BITS - 5));
  const astralPairs = new Map<string, string>();
  for (const entry of COMPONENT_SPLITS.split("|")) {
    const [ch, first, second] = Array.from(entry);
    if (ch === undefined || first === undefined || second === undefined) continue;
    const pair = foldString(first + second);
    const to = foldString(ch);
    firstUnit[pair.charCodeAt(0)] = 1;
    if (pair.length === 2 && to.length === 1) {
      const key = pair.charCodeAt(0) * 0x10000 + pair.charCodeAt(1);
      if (!pairs.has(key)) pairs.set(key, to.charCodeAt(0));
      const bit = pairBit(pair.charCodeAt(0), pair.charCodeAt(1));
      pairFilter[bit >>> 5]! |= 1 << (bit & 31);
    } else if (!astralPairs.has(pair)) astralPairs.set(pair, to);
  }
  table = {
    firstUnit,
    pairs,
    pairFilter,
    astralPairs,
    bytes: firstUnit.byteLength + pairFilter.byteLength + (pairs.size + astralPairs.size) * 40,
  };
  pairTables.set(fold, table);
  return table;
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
 * Where two components at `i` recompose: the character (as a string), and how many units the
 * pair takes in `units`; undefined when they do not.
 */
function pairAt(
  table: PairTable,
  units: Uint16Array,
  i: number,
  n: number,
  marks: Uint8Array | undefined,
): { ch: string; size: number } | undefined {
  const u = units[i]!;
  if (table.firstUnit[u] === 0 || i + 1 >= n) return undefined;
  const v = units[i + 1]!;
  if ((u < 0xd800 || u > 0xdfff) && (v < 0xd800 || v > 0xdfff)) {
    // Two BMP characters (most places): the bit set rules out nearly every pair at once.
    const bit = pairBit(u, v);
    if ((table.pairFilter[bit >>> 5]! & (1 << (bit & 31))) === 0) return undefined;
  }
  const a = codePointLength(units, i, n);
  if (i + a >= n) return undefined;
  const b = codePointLength(units, i + a, n);
  // A digit is a component only where it was a Chinese numeral (一一 is 二; 11 is not).
  if (units[i]! < 0x80 && (marks === undefined || (marks[i]! & MARK_NUMERAL) === 0)) return undefined;
  if (units[i + a]! < 0x80 && (marks === undefined || (marks[i + a]! & MARK_NUMERAL) === 0)) return undefined;
  if (a === 1 && b === 1) {
    const c = table.pairs.get(units[i]! * 0x10000 + units[i + 1]!);
    return c === undefined ? undefined : { ch: String.fromCharCode(c), size: 2 };
  }
  const ch = table.astralPairs.get(String.fromCharCode(...units.subarray(i, i + a + b)));
  return ch === undefined ? undefined : { ch, size: a + b };
}

/**
 * Writes into `out` the parts of `src` around every pair of adjacent components that splits a
 * character, with the pair replaced by that character (greedily, left to right; one level: a
 * recomposed character is not recomposed again) and marked {@link MARK_RECOMPOSED} in `marks`.
 * Each part keeps `context` units of text on either side (with `repeats`, a run of one character
 * counts once), so that a match covering a recomposed character lies wholly in its part with its
 * neighbours; parts are separated by U+FFFF, which no pattern holds. Every unit maps to the
 * original range it came from. Returns false, leaving `out` alone, when there is no pair to
 * recompose.
 */
export function recomposeInto(
  src: NormalizedBuffer,
  out: NormalizedBuffer,
  table: PairTable,
  context: number,
  marks: { value: Uint8Array },
  repeats = false,
  srcMarks?: Uint8Array,
): boolean {
  const units = src.units;
  const n = src.length;
  let i = 0;
  while (i < n && !(table.firstUnit[units[i]!] !== 0 && pairAt(table, units, i, n, srcMarks))) i++;
  if (i === n) return false;
  // Parts never overlap, and each separator stands before a part: at most 2n units.
  out.ensure(2 * n + 2);
  out.identity = false;
  if (marks.value.length < out.units.length) marks.value = new Uint8Array(out.units.length);
  const mark = marks.value;
  let m = 0;
  /** End of the text copied so far. */
  let copied = 0;
  const put = (unit: number, start: number, end: number, bits: number) => {
    out.units[m] = unit;
    out.mapStart[m] = start;
    out.mapEnd[m] = end;
    mark[m] = bits;
    m++;
  };
  while (i < n) {
    const found = table.firstUnit[units[i]!] !== 0 ? pairAt(table, units, i, n, srcMarks) : undefined;
    if (!found) {
      i += codePointLength(units, i, n);
      continue;
    }
    let from = i;
    for (let counted = 0; from > copied && counted < context; from--) {
      if (!(repeats && from >= 2 && units[from - 1] === units[from - 2])) counted++;
    }
    // Never start a part inside a surrogate pair.
    if (from > 0 && from < n && units[from]! >= 0xdc00 && units[from]! <= 0xdfff) from--;
    if (from > copied && m > 0) put(0xffff, src.originalStart(from), src.originalStart(from), 0);
    for (let k = Math.max(from, copied); k < i; k++) {
      put(units[k]!, src.originalStart(k), src.originalEnd(k), srcMarks ? srcMarks[k]! : 0);
    }
    const start = src.originalStart(i);
    const end = src.originalEnd(i + found.size - 1);
    for (let k = 0; k < found.ch.length; k++) put(found.ch.charCodeAt(k), start, end, MARK_RECOMPOSED);
    i += found.size;
    copied = i;
    // Context after the pair, up to the next pair (recomposed on the next turn).
    for (let counted = 0; i < n && counted < context; ) {
      if (table.firstUnit[units[i]!] !== 0 && pairAt(table, units, i, n, srcMarks)) break;
      if (!(repeats && i > 0 && units[i] === units[i - 1])) counted++;
      const size = codePointLength(units, i, n);
      for (let k = i; k < i + size; k++)
        put(units[k]!, src.originalStart(k), src.originalEnd(k), srcMarks ? srcMarks[k]! : 0);
      i += size;
    }
    copied = i;
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

/** True when `buffer` holds two adjacent equal Han characters (a run {@link contractRepeatsInto} writes once). */
export function hasRepeats(buffer: NormalizedBuffer): boolean {
  const units = buffer.units;
  for (let i = 1; i < buffer.length; i++) {
    const c = units[i]!;
    if (c === units[i - 1] && c >= 0x2e80 && (c < 0xd800 || c > 0xdfff ? isHan(c) : true)) return true;
  }
  return false;
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
  marks?: { src: Uint8Array; out: Uint8Array },
): void {
  const units = src.units;
  const n = src.length;
  out.ensure(n);
  out.identity = false;
  if (runs.value.length < out.units.length) runs.value = new Uint16Array(out.units.length);
  const counts = runs.value;
  let m = 0;
  for (let i = 0; i < n; ) {
    // Most of a text is BMP characters that no repeat follows: copied as they are, in one go.
    let k = i;
    while (k < n) {
      const c = units[k]!;
      if ((c >= 0xd800 && c <= 0xdfff) || (k + 1 < n && units[k + 1] === c && c >= 0x2e80 && isHan(c))) break;
      k++;
    }
    if (k > i) {
      out.units.set(units.subarray(i, k), m);
      if (src.identity) {
        for (let q = i; q < k; q++) {
          out.mapStart[m + q - i] = q;
          out.mapEnd[m + q - i] = q + 1;
        }
      } else {
        out.mapStart.set(src.mapStart.subarray(i, k), m);
        out.mapEnd.set(src.mapEnd.subarray(i, k), m);
      }
      counts.fill(1, m, m + k - i);
      if (marks) marks.out.set(marks.src.subarray(i, k), m);
      m += k - i;
      i = k;
      if (i === n) break;
    }
    // A surrogate pair, or a run of one Han character.
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
      if (marks) {
        let bits = 0;
        for (let q = i + k; q < j; q += a) bits |= marks.src[q]!;
        marks.out[m + k] = bits;
      }
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
  let key = "";
  const runs: number[] = [];
  let repeated = false;
  for (let i = 0; i < term.length; ) {
    const cp = term.codePointAt(i)!;
    const size = cp > 0xffff ? 2 : 1;
    let j = i + size;
    let count = 1;
    if (cp >= 0x2e80 && isHan(cp)) {
      while (j < term.length && term.codePointAt(j) === cp) {
        j += size;
        count++;
      }
    }
    key += term.slice(i, i + size);
    for (let k = 0; k < size; k++) runs.push(Math.min(count, 0xffff));
    if (count > 1) repeated = true;
    i = j;
  }
  return repeated ? { key, runs: Uint16Array.from(runs) } : { key };
}
