import { propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NormalizedBuffer, normalizeForMatching, normalizeInto } from "./normalize.ts";
import { loadChineseReadings, readingsOf } from "./readings.ts";
import { createSoundPass, type SoundFolds, type SoundTerm } from "./sound.ts";

await loadChineseReadings();

// A pool wide enough that the terms use more than 32 syllables (the automaton keeps a 32-bit mask
// of each state's children), with polyphonic characters, and each character's homophones in it.
const POOL = [
  ...new Set([
    ..."法发輪轮论功攻工赌读博长城重虫中乐月亮湾妈麻好女子人行银音得地的了和合何河禾",
    ..."东冬动洞南难男西希喜洗北被备背上尚伤下夏吓左做坐右又有前钱千后候厚里理李力",
    ..."天田甜地弟第山三散水睡谁火或货木目幕金今进土图吐风封丰雨鱼于云运晕电店点",
  ]),
].filter((ch) => readingsOf(ch.codePointAt(0)!).length > 0);
const NOISE = [" ", "-", "，", "a", "1", "😀"];

const termArb = fc.array(fc.constantFrom(...POOL), { minLength: 2, maxLength: 4 }).map((cs) => cs.join(""));
/** Each character of the pool → the characters of the pool that share one of its readings. */
const SOUNDS_LIKE = new Map(
  POOL.map((ch) => {
    const readings = readingsOf(ch.codePointAt(0)!);
    return [ch, POOL.filter((other) => readingsOf(other.codePointAt(0)!).some((r) => readings.includes(r)))];
  }),
);
/** A piece of text: a term as written or with homophones, a character of the pool, or noise. */
const pieceArb = (terms: readonly string[]) =>
  fc.oneof(
    fc.constantFrom(...terms),
    fc.tuple(fc.constantFrom(...terms), fc.infiniteStream(fc.nat())).map(([term, picks]) =>
      Array.from(term, (ch) => {
        const like = SOUNDS_LIKE.get(ch)!;
        return like[picks.next().value % like.length]!;
      }).join(""),
    ),
    fc.constantFrom(...POOL),
    fc.constantFrom(...NOISE),
  );
const soundTermArb = fc.record({ term: termArb, pinyin: fc.boolean(), homophones: fc.boolean() });

/** Every match a sound pass reports on `text`, in report order. */
function scanAll(pass: ReturnType<typeof createSoundPass>, text: string): string[] {
  const buffer = new NormalizedBuffer();
  normalizeInto(text, buffer);
  const out: string[] = [];
  pass?.scan(buffer, (start, end, entry, tags) => out.push(`${start}-${end} ${entry} ${tags}`));
  return out;
}

describe("sound pass: the automaton against the walk", () => {
  it("finds every term of a list of many syllables written with homophones", () => {
    // Terms of three characters from the pool, each written with other characters of the pool
    // that share a reading: every syllable the list uses is in the text.
    const terms: SoundTerm[] = [];
    const texts: string[] = [];
    for (let i = 0; i + 3 <= POOL.length; i += 3) {
      const term = POOL.slice(i, i + 3).join("");
      terms.push({ label: term, normalized: normalizeForMatching(term), list: 0, pinyin: false, homophones: true });
      texts.push(
        POOL.slice(i, i + 3)
          .map((ch) => SOUNDS_LIKE.get(ch)!.find((other) => other !== ch) ?? ch)
          .join(""),
      );
    }
    const folds = { chinese: false, lookalikes: false, repeats: false, separators: false };
    const automaton = createSoundPass(terms, folds);
    const walk = createSoundPass(terms, folds, { walk: true });
    const text = texts.join("，");
    const found = scanAll(automaton, text);
    expect(found).toEqual(scanAll(walk, text));
    const entries = new Set(found.map((match) => Number(match.split(" ")[1])));
    texts.forEach((written, k) => {
      if (written !== terms[k]!.label) expect(entries.has(k), `${terms[k]!.label} as ${written}`).toBe(true);
    });
  });

  it(
    "finds what walking paths from every character finds",
    () => {
      fc.assert(
        fc.property(
          fc
            .array(soundTermArb, { minLength: 1, maxLength: 60 })
            .chain((list) =>
              fc.tuple(
                fc.constant(list),
                fc.array(pieceArb(list.map((t) => t.term)), { maxLength: 30 }),
                fc.array(fc.nat(2), { maxLength: 30 }),
              ),
            ),
          fc.record({
            chinese: fc.boolean(),
            lookalikes: fc.boolean(),
            repeats: fc.boolean(),
            separators: fc.boolean(),
          }),
          ([list, parts, times], folds: SoundFolds) => {
            const terms: SoundTerm[] = list.map(({ term, pinyin, homophones }) => ({
              label: term,
              normalized: normalizeForMatching(term),
              list: 0,
              pinyin,
              homophones,
            }));
            // Pieces of the text repeated, as `repeats` reads them.
            const text = parts.map((part, i) => part.repeat(1 + (times[i] ?? 0))).join("");
            const automaton = createSoundPass(terms, folds);
            const walk = createSoundPass(terms, folds, { walk: true });
            expect(scanAll(automaton, text)).toEqual(scanAll(walk, text));
          },
        ),
        propertySettings("sound pass automaton against walk", { runs: 300 }),
      );
    },
    propertyTimeout(60_000, 300),
  );
});
