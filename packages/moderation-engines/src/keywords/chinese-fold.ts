/**
 * Traditional/Simplified Chinese folding for keyword lists marked `# fold: chinese`.
 *
 * Every Han character that OpenCC's character tables link to another (Traditional ↔ Simplified,
 * and the Taiwan and Hong Kong variant forms) is mapped to one key for its whole group, so `后`,
 * `後`; `发`, `發`, `髮`; `干`, `乾`, `幹` each become one character. Terms and texts of such lists
 * are folded with the same map after normalisation, so a Simplified term matches Traditional text
 * and the other way round.
 *
 * The fold is character for character and keeps UTF-16 length: a pair whose two sides differ in
 * length (a BMP Traditional character whose Simplified form was encoded outside the BMP, about 200
 * rare characters) is left out, so folding never moves an offset and findings still map exactly to
 * the original text through the normalisation map.
 *
 * Data: `opencc-js` (the JavaScript OpenCC, MIT; dictionary data Apache-2.0), only its character
 * tables (no phrase tables: a phrase conversion changes lengths and is not needed for a key). The
 * table is built on first use (a few milliseconds), so lists without the option never pay for it.
 * Platform-neutral: runs in Node and in Workers.
 */
/// <reference path="./opencc-js.d.ts" />
import HKVariantsRev from "opencc-js/dict/HKVariantsRev";
import STCharacters from "opencc-js/dict/STCharacters";
import TSCharacters from "opencc-js/dict/TSCharacters";
import TWVariantsRev from "opencc-js/dict/TWVariantsRev";

/**
 * The OpenCC character tables the fold is built from (`"from to|from to|…"`): Taiwan and Hong Kong
 * variant forms to OpenCC's standard Traditional, Traditional → Simplified, Simplified → Traditional.
 */
const TABLES: ReadonlyArray<{ dict: string; direction: "variant" | "t2s" | "s2t" }> = [
  { dict: TWVariantsRev, direction: "variant" },
  { dict: HKVariantsRev, direction: "variant" },
  { dict: TSCharacters, direction: "t2s" },
  { dict: STCharacters, direction: "s2t" },
];

const HAN_RE = /^\p{scx=Han}$/u;

/** A character the fold may map: one Han code point that NFKC leaves as it is (so normalised text can hold it). */
function foldable(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return ch.length === (cp > 0xffff ? 2 : 1) && HAN_RE.test(ch) && ch.normalize("NFKC") === ch;
}

/**
 * The built fold: BMP code unit → key, and astral code point → key. Every character of a group,
 * its key included (which maps to itself), has an entry; 0 in `bmp` means "in no group".
 */
export interface ChineseFoldTable {
  readonly bmp: Uint16Array;
  readonly astral: ReadonlyMap<number, number>;
  /** Characters that fold to something other than themselves. */
  readonly mapped: number;
  /** Pairs of the tables left out because their two sides differ in UTF-16 length or are not both Han. */
  readonly skippedPairs: number;
  /** Approximate bytes held by the table. */
  readonly bytes: number;
}

let table: ChineseFoldTable | undefined;

/**
 * Builds the fold (once): the pairs of the tables are linked into groups (union-find), and each
 * character maps to its group's key, the group's Simplified form where there is exactly one (a
 * character the tables convert to but not from), else the lowest code point of those candidates.
 */
export function chineseFoldTable(): ChineseFoldTable {
  if (table) return table;
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    // Path compression.
    let y = x;
    while (y !== r) {
      const next = parent.get(y)!;
      parent.set(y, r);
      y = next;
    }
    return r;
  };
  const simplified = new Set<string>();
  const traditional = new Set<string>();
  let skippedPairs = 0;
  for (const { dict, direction } of TABLES) {
    for (const entry of dict.split("|")) {
      const [from, to] = entry.split(" ");
      if (from === undefined || to === undefined || from === to) continue;
      if (!foldable(from) || !foldable(to) || from.length !== to.length) {
        skippedPairs++;
        continue;
      }
      if (!parent.has(from)) parent.set(from, from);
      if (!parent.has(to)) parent.set(to, to);
      const a = root(from);
      const b = root(to);
      if (a !== b) parent.set(a, b);
      // TSCharacters converts Traditional → Simplified; STCharacters the other way.
      if (direction === "t2s") {
        traditional.add(from);
        simplified.add(to);
      } else if (direction === "s2t") {
        simplified.add(from);
        traditional.add(to);
      }
    }
  }
  const groups = new Map<string, string[]>();
  for (const ch of parent.keys()) {
    const r = root(ch);
    let members = groups.get(r);
    if (!members) {
      members = [];
      groups.set(r, members);
    }
    members.push(ch);
  }
  const bmp = new Uint16Array(0x10000);
  const astral = new Map<number, number>();
  let mapped = 0;
  const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
  for (const members of groups.values()) {
    members.sort(byCodePoint);
    const pure = members.filter((m) => simplified.has(m) && !traditional.has(m));
    const key = (pure.length > 0 ? pure : members)[0]!;
    const keyCp = key.codePointAt(0)!;
    for (const m of members) {
      const cp = m.codePointAt(0)!;
      if (cp < 0x10000) bmp[cp] = keyCp;
      else astral.set(cp, keyCp);
      if (m !== key) mapped++;
    }
  }
  table = { bmp, astral, mapped, skippedPairs, bytes: bmp.byteLength + astral.size * 32 };
  return table;
}

/** Folds a string (already normalised) the same way as {@link foldChineseInto}. */
export function foldChinese(normalized: string): string {
  const { bmp, astral } = chineseFoldTable();
  let out = "";
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    const f = cp < 0x10000 ? bmp[cp]! : (astral.get(cp) ?? 0);
    out += f === 0 ? ch : String.fromCodePoint(f);
  }
  return out;
}
