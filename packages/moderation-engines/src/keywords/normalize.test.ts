import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CLASS_JOINING,
  classOf,
  MAX_JOINING,
  NormalizedBuffer,
  normalizeForMatching,
  normalizeInto,
} from "./normalize.ts";

/** Runs of the property test in CI (`FUZZ_RUNS`, `FUZZ_SCALE` and `pnpm fuzz` change it). */
const RUNS = 2000;

const IGNORABLE_RE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]$/u;
const IGNORABLE_GLOBAL_RE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]/gu;

function* allCodePoints(): Generator<number> {
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) yield cp;
}

const chars = (s: string) => [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);

describe("normalizeForMatching: NFKC applies to sequences, not to single code points", () => {
  it("composes every half-width katakana with a following half-width voiced or semi-voiced mark", () => {
    const wrong: string[] = [];
    let composed = 0;
    for (let base = 0xff66; base <= 0xff9d; base++) {
      for (const mark of ["\uFF9E", "\uFF9F"]) {
        const text = String.fromCharCode(base) + mark;
        // The platform's NFKC of the whole pair is the reference: ﾊﾞ → バ, ﾎﾟ → ポ, ｱﾞ → ア + U+3099.
        const expected = text.normalize("NFKC");
        if (expected.length === 1) composed++;
        if (normalizeForMatching(text) !== expected) wrong.push(`${text} → ${chars(normalizeForMatching(text))}`);
      }
    }
    expect(wrong).toEqual([]);
    // Voiced: ｶﾞ…ｺﾞ, ｻﾞ…ｿﾞ, ﾀﾞ…ﾄﾞ, ﾊﾞ…ﾎﾞ, ｳﾞ, ﾜﾞ, ｦﾞ; semi-voiced: ﾊﾟ…ﾎﾟ.
    expect(composed).toBe(23 + 5);
  });

  it("composes conjoining jamo into syllables, from conjoining, compatibility and half-width jamo", () => {
    const wrong: string[] = [];
    for (let l = 0; l < 19; l++) {
      for (let v = 0; v < 21; v++) {
        for (let t = 0; t < 28; t++) {
          const jamo = String.fromCharCode(0x1100 + l, 0x1161 + v) + (t === 0 ? "" : String.fromCharCode(0x11a7 + t));
          const syllable = String.fromCharCode(0xac00 + (l * 21 + v) * 28 + t);
          const normalized = normalizeForMatching(jamo);
          if (normalized !== syllable) wrong.push(`${chars(jamo)} → ${chars(normalized)}`);
        }
      }
    }
    // Compatibility (U+3131…) and half-width (U+FFA1…) jamo stand for leading consonants and vowels.
    const leading = new Map<number, number>();
    const vowels = new Map<number, number>();
    for (let cp = 0x3131; cp <= 0x3163; cp++) addJamo(cp);
    for (let cp = 0xffa1; cp <= 0xffdc; cp++) addJamo(cp);
    function addJamo(cp: number) {
      const conjoining = String.fromCharCode(cp).normalize("NFKC").charCodeAt(0);
      if (conjoining >= 0x1100 && conjoining <= 0x1112) leading.set(cp, conjoining - 0x1100);
      if (conjoining >= 0x1161 && conjoining <= 0x1175) vowels.set(cp, conjoining - 0x1161);
    }
    // All 19 leading consonants and 21 vowels, in each of the two blocks.
    expect(leading.size).toBe(2 * 19);
    expect(vowels.size).toBe(2 * 21);
    for (const [lc, l] of leading) {
      for (const [vc, v] of vowels) {
        const jamo = String.fromCharCode(lc, vc);
        const syllable = String.fromCharCode(0xac00 + (l * 21 + v) * 28);
        const normalized = normalizeForMatching(jamo);
        if (normalized !== syllable) wrong.push(`${chars(jamo)} → ${chars(normalized)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(normalizeForMatching("ㅅㅣㅂㅏ")).toBe("시바");
  });

  it("composes a letter with its combining mark across any invisible character between them", () => {
    const wrong: string[] = [];
    for (const cp of allCodePoints()) {
      const invisible = String.fromCodePoint(cp);
      if (!IGNORABLE_RE.test(invisible)) continue;
      for (const [text, expected] of [
        [`e${invisible}\u0301`, "é"],
        [`E${invisible}\u0301`, "é"],
        [`ﾊ${invisible}ﾞ`, "バ"],
        [`ᄉ${invisible}ᅵ`, "시"],
      ] as const) {
        if (normalizeForMatching(text) !== expected) wrong.push(chars(text).join(" "));
      }
    }
    expect(wrong).toEqual([]);
    expect(normalizeForMatching("cafe\u00AD\u0301")).toBe("café");
  });

  it("cuts the text only where NFKC never composes or reorders with the character before", () => {
    // A character interacts with the one before when its decomposition starts with a non-starter
    // (non-zero combining class: canonical reordering moves it before U+0345, class 240) or with a
    // character that is the second half of a canonical composition.
    // Hangul syllables compose algorithmically from leading + vowel (+ final) jamo.
    const seconds = new Set<number>();
    for (let v = 0x1161; v <= 0x1175; v++) seconds.add(v);
    for (let t = 0x11a8; t <= 0x11c2; t++) seconds.add(t);
    for (const cp of allCodePoints()) {
      const ch = String.fromCodePoint(cp);
      const nfd = ch.normalize("NFD");
      if (nfd === ch || nfd.normalize("NFC") !== ch) continue;
      for (const part of [...nfd].slice(1)) seconds.add(part.codePointAt(0)!);
    }
    const isNonStarter = (cp: number) => {
      const c = String.fromCodePoint(cp);
      return cp === 0x345 || `a\u0345${c}`.normalize("NFD") !== `a\u0345${c}`;
    };
    const missing: string[] = [];
    for (const cp of allCodePoints()) {
      const ch = String.fromCodePoint(cp);
      if (IGNORABLE_RE.test(ch)) continue;
      const first = ch.normalize("NFKD").codePointAt(0)!;
      const interacts = seconds.has(first) || isNonStarter(first);
      if (interacts && (classOf(cp) & CLASS_JOINING) === 0) missing.push(chars(ch)[0]!);
    }
    expect(missing).toEqual([]);
  });

  it("cuts a run of joining characters after every MAX_JOINING of them (UAX #15's stream-safe form)", () => {
    // Marks of two combining classes: NFKC of the whole run would sort all 220s before all 230s, and
    // take time quadratic in the run's length (28 s for this one).
    const marks = "\u0301\u0316".repeat(130_000);
    const text = `a${marks}`;
    const out = new NormalizedBuffer();
    normalizeInto(text, out);
    // Each segment (the base and MAX_JOINING marks, then MAX_JOINING marks at a time) is normalised on its own.
    let expected = `a${marks.slice(0, MAX_JOINING)}`.normalize("NFKC");
    for (let at = MAX_JOINING; at < marks.length; at += MAX_JOINING) {
      expected += marks.slice(at, at + MAX_JOINING).normalize("NFKC");
    }
    expect(out.length).toBe(expected.length);
    expect(out.toString() === expected).toBe(true);
    // The last unit maps back to its own segment, not to the whole run.
    expect(out.originalStart(out.length - 1)).toBe(1 + Math.floor((marks.length - 1) / MAX_JOINING) * MAX_JOINING);
    // Short runs, as in real text, are one chunk as before.
    expect(normalizeForMatching("e\u0316\u0301\u0323")).toBe("e\u0316\u0301\u0323".normalize("NFKC"));
  });

  it(
    "gives the normalisation of the whole text, whatever the text (property)",
    () => {
      const pieces = [
        ..."aeEiIıİsSßẞkK",
        ..."ﾊｶﾎﾁﾝｳﾞﾟ",
        ..."시반ㅅㅣㅂㅏㄳ",
        ..."\u0301\u0308\u0323\u3099\u309A\u0345\u034F",
        ..."\u00AD\u200B\u200D\u2060\uFEFF\u202E\u2066\uFE0F\u{E0101}",
        ..."ｆＦﬁ㎏ΣσςǅḈ",
        ..."\uD800\uDC00\uDBFF\uDFFF",
        ..."😀$!. 傻",
      ];
      const text = fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((p) => p.join(""));
      // Reference: each step applied to the whole string at once.
      const reference = (s: string) => {
        const nfkc = s
          .replace(/\p{Cs}/gu, "\uFFFD")
          .replace(IGNORABLE_GLOBAL_RE, "")
          .normalize("NFKC");
        let folded = "";
        for (const ch of nfkc) folded += normalizeForMatching(ch);
        return folded.normalize("NFKC").replace(IGNORABLE_GLOBAL_RE, "");
      };
      fc.assert(
        fc.property(text, (s) => {
          const normalized = normalizeForMatching(s);
          expect(chars(normalized)).toEqual(chars(reference(s)));
          expect(normalizeForMatching(normalized)).toBe(normalized);
        }),
        propertySettings("keyword normalisation of a whole text", { runs: RUNS }),
      );
    },
    propertyTimeout(30_000, RUNS),
  );
});

describe("normalizeForMatching: case folding", () => {
  it("changes exactly the characters that Unicode says change when case folded", () => {
    const CWCF = /^\p{Changes_When_Casefolded}$/u;
    const CASED = /^[\p{Cased}\p{Changes_When_Casemapped}]$/u;
    const wrong: string[] = [];
    for (const cp of allCodePoints()) {
      const ch = String.fromCodePoint(cp);
      if (!CASED.test(ch) || ch.normalize("NFKC") !== ch) continue;
      const folded = normalizeForMatching(ch);
      if ((folded !== ch) !== CWCF.test(ch)) wrong.push(`${chars(ch)} → ${chars(folded)}`);
      // Where the fold is one character, the regular expression engine's own case folding agrees.
      if ([...folded].length === 1 && folded !== ch && !new RegExp(`^\\u{${cp.toString(16)}}$`, "iu").test(folded)) {
        wrong.push(`${chars(ch)} → ${chars(folded)} (not an /iu match)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("applies full case folding, and keeps dotless ı a letter of its own", () => {
    const cases: Array<[string, string]> = [
      ["ß", "ss"],
      ["ẞ", "ss"],
      ["İ", "i\u0307"],
      ["ŉ", "ʼn"],
      ["ᾳ", "αι"],
      ["ᾼ", "αι"],
      ["ΐ", "ΐ"],
      ["Ḉ", "ḉ"],
      ["ǅ", "dž"], // NFKC first: the digraph is a compatibility character
      ["ς", "σ"],
      ["Ꭰ", "Ꭰ"],
      ["ꭰ", "Ꭰ"],
      ["ı", "ı"],
      ["\u{1D6A4}", "ı"], // MATHEMATICAL ITALIC SMALL DOTLESS I
      ["I", "i"],
      ["SIK", "sik"],
      ["sık", "sık"],
    ];
    expect(cases.map(([from]) => normalizeForMatching(from))).toEqual(cases.map(([, to]) => to));
  });

  it("reads a lone surrogate as U+FFFD and leaves surrogate pairs whole", () => {
    expect(normalizeForMatching("a\uD800b\uDFFFc")).toBe("a\uFFFDb\uFFFDc");
    expect(normalizeForMatching("\uD83D\u200B\uDE00")).toBe("\uFFFD\uFFFD");
    expect(normalizeForMatching("\u{1F600}\u{1D400}")).toBe("\u{1F600}a");
  });
});
