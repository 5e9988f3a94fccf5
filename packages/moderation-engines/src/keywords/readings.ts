/**
 * Toneless pinyin readings of Han characters, for the keyword lists' `pinyin`, `initials` and
 * `homophones` folds. The readings come from `pinyin-pro` (MIT), every reading of a polyphonic
 * character (`乐` → le, yue, yao, lao), tones removed, `ü` kept as `ü`.
 *
 * The library is loaded on demand ({@link loadChineseReadings}): a process (or Worker) whose lists
 * use none of these folds never evaluates it. Readings of a list's own characters are looked up
 * when the list is built; the table of every character (which `homophones` needs, to know which
 * characters of a text sound like a term's) is built once, on first use.
 *
 * Platform-neutral: runs in Node and in Workers.
 */

import type { ListFold } from "./parse.ts";

type Polyphonic = (text: string, options: { toneType: "none"; type: "array" }) => string[][];

let polyphonic: Polyphonic | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the pinyin library (once). Must have resolved before a matcher with a `pinyin`,
 * `initials` or `homophones` list is built; the keyword engine's module (moderation-service) does it.
 */
export function loadChineseReadings(): Promise<void> {
  loading ??= import("./pinyin-library.ts").then((module) => {
    polyphonic = module.polyphonic as Polyphonic;
  });
  return loading;
}

/**
 * Loads the pinyin readings when one of `lists` asks for `pinyin`, `initials` or `homophones`, and
 * only then (the library is about 270 KB of code and data).
 */
export async function loadReadingsFor(lists: readonly { folds?: readonly ListFold[] }[]): Promise<void> {
  const needs = lists.some((list) =>
    list.folds?.some((fold) => fold === "pinyin" || fold === "initials" || fold === "homophones"),
  );
  if (needs) await loadChineseReadings();
}

/** True once {@link loadChineseReadings} has resolved. */
export function chineseReadingsLoaded(): boolean {
  return polyphonic !== undefined;
}

/**
 * Interjection readings left out: `m`, `n`, `ng`, `hm`, `hng` and `ê` are readings of a few
 * exclamations (嗯, 呣, 哼, 欸); as Latin syllables they would make nearly any letters a pinyin word.
 */
const INTERJECTIONS = new Set(["m", "n", "ng", "hm", "hng", "ê"]);
const SYLLABLE_RE = /^[a-zü]+$/;
const HAN_RE = /^\p{scx=Han}$/u;

const cache = new Map<number, readonly string[]>();
const NONE: readonly string[] = Object.freeze([]);

function library(): Polyphonic {
  if (!polyphonic) {
    throw new Error(
      "the pinyin readings are not loaded: await loadChineseReadings() before building a matcher with a pinyin, initials or homophones list",
    );
  }
  return polyphonic;
}

/** Keeps the toneless syllables of a list of readings (deduplicated, interjections dropped). */
function clean(readings: readonly string[] | undefined): readonly string[] {
  if (!readings) return NONE;
  const out: string[] = [];
  for (const r of readings) {
    if (SYLLABLE_RE.test(r) && !INTERJECTIONS.has(r) && !out.includes(r)) out.push(r);
  }
  return out.length === 0 ? NONE : Object.freeze(out);
}

/**
 * The toneless readings of one character (a code point), every reading of a polyphonic one, in
 * the library's order (the most common first); empty for characters that are not Han or have none.
 */
export function readingsOf(cp: number): readonly string[] {
  let readings = cache.get(cp);
  if (readings !== undefined) return readings;
  const ch = String.fromCodePoint(cp);
  readings = HAN_RE.test(ch) ? clean(library()(ch, { toneType: "none", type: "array" })[0]) : NONE;
  cache.set(cp, readings);
  return readings;
}

/** Every BMP Han character with at least one reading, and its readings (built once, ~150 ms). */
export interface ReadingTable {
  /** Characters (code units), ascending. */
  readonly chars: Uint16Array;
  /** Readings of `chars[i]`. */
  readonly readings: ReadonlyArray<readonly string[]>;
}

let table: ReadingTable | undefined;

/**
 * The readings of every Han character of the Basic Multilingual Plane (CJK Unified Ideographs and
 * Extension A, the compatibility ideographs, radicals), for `homophones`: which characters of a
 * text share a syllable with a term's. Characters outside the BMP (about 200 rare ones have
 * readings) are left out of this table; they still match as a term's own characters.
 */
export function readingTable(): ReadingTable {
  if (table) return table;
  const fn = library();
  const codes: number[] = [];
  for (let c = 0x2e80; c < 0x10000; c++) {
    if (c === 0xa000) c = 0xf900;
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (HAN_RE.test(String.fromCharCode(c))) codes.push(c);
  }
  // One call per block of characters: per-character calls cost about as much again.
  const chars: number[] = [];
  const readings: Array<readonly string[]> = [];
  for (let i = 0; i < codes.length; i += 4096) {
    const block = codes.slice(i, i + 4096);
    let result = fn(String.fromCharCode(...block), { toneType: "none", type: "array" });
    // One entry per character is what the library gives; should a version merge characters, ask one by one.
    if (result.length !== block.length) {
      result = block.map((cp) => fn(String.fromCharCode(cp), { toneType: "none", type: "array" })[0] ?? []);
    }
    for (let k = 0; k < block.length; k++) {
      const cp = block[k]!;
      const r = result[k]?.[0] === String.fromCharCode(cp) ? NONE : clean(result[k]);
      cache.set(cp, r);
      if (r.length > 0) {
        chars.push(cp);
        readings.push(r);
      }
    }
  }
  table = { chars: Uint16Array.from(chars), readings };
  return table;
}

/**
 * How each toneless syllable may be written in Latin letters: as itself, and for `ü` also with
 * `v` or `u` (`lü` → lü, lv, lu; `nüe` → nüe, nve, nue), as people type it.
 */
export function latinSpellings(syllable: string): string[] {
  if (!syllable.includes("ü")) return [syllable];
  return [syllable, syllable.replaceAll("ü", "v"), syllable.replaceAll("ü", "u")];
}
