/**
 * Keyword matcher benchmark and Aho-Corasick package comparison (Node only).
 *
 *   cd bench && NODE_OPTIONS=--expose-gc pnpm exec tsx src/keyword-bench.ts   # optional arg: number of terms
 *
 * Synthetic lists: random Latin words (70%) and random Han strings (30%); texts of 3,000
 * characters (ASCII-only and mixed Latin/CJK). Prints build time, heap growth, per-call times and
 * a correctness check of each package on overlapping matches and UTF-16 offsets.
 *
 * The exports (package loaders, correctness check, timing helpers) are shared with the suite
 * (`pnpm bench`), which reports our ratio to the fastest package's raw search alongside every
 * other figure (docs/performance.md).
 */
import { pathToFileURL } from "node:url";
import { createKeywordMatcher, type KeywordMatcher, normalizeForMatching } from "@dify-ext/moderation-engines/keywords";
import { generateTerms, generateText } from "./synthetic.ts";

/** A raw search over a prepared automaton. */
export type Search = (text: string) => unknown;
/** An Aho-Corasick package under comparison. */
export interface Candidate {
  name: string;
  build: (patterns: string[]) => Search;
  /** Returns [start, end, pattern] triples for the correctness check. */
  spans: (patterns: string[], text: string) => Array<[number, number, string]>;
}

/** heapUsed + external in MB, after a GC when `--expose-gc` is on. */
export function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 1048576;
}

/** Median time of one call in ms, from batches of 10 over at least `minMs`. */
export function timePerCall(fn: () => unknown, minMs = 300): number {
  for (let i = 0; i < 20; i++) fn();
  const samples: number[] = [];
  const until = performance.now() + minMs;
  while (performance.now() < until) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) fn();
    samples.push((performance.now() - t0) / 10);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const fmt = (n: number, d = 3) => n.toFixed(d);

/** The Aho-Corasick packages compared (dependencies of the bench package), loaded on demand. */
export async function loadCandidates(): Promise<Candidate[]> {
  const modern = (await import("modern-ahocorasick" as string)).default as new (
    p: string[],
  ) => { search(t: string): Array<{ start: number; end: number; pattern: string }> };
  const monyone = (await import("@monyone/aho-corasick" as string)).AhoCorasick as new (
    p: string[],
  ) => { matchInText(t: string): Array<{ begin: number; end: number; keyword: string }> };
  const monyoneFast = (await import("@monyone/aho-corasick/fast" as string)).AhoCorasick as typeof monyone;
  const bruno = (await import("ahocorasick" as string)).default as new (
    p: string[],
  ) => { search(t: string): Array<[number, string[]]> };
  return [
    {
      name: "modern-ahocorasick",
      build: (p) => {
        const m = new modern(p);
        return (t) => m.search(t);
      },
      spans: (p, t) => new modern(p).search(t).map((h) => [h.start, h.end, h.pattern]),
    },
    {
      name: "@monyone/aho-corasick",
      build: (p) => {
        const m = new monyone(p);
        return (t) => m.matchInText(t);
      },
      spans: (p, t) => new monyone(p).matchInText(t).map((h) => [h.begin, h.end, h.keyword]),
    },
    {
      name: "@monyone/aho-corasick/fast",
      build: (p) => {
        const m = new monyoneFast(p);
        return (t) => m.matchInText(t);
      },
      spans: (p, t) => new monyoneFast(p).matchInText(t).map((h) => [h.begin, h.end, h.keyword]),
    },
    {
      name: "ahocorasick",
      build: (p) => {
        const m = new bruno(p);
        return (t) => m.search(t);
      },
      spans: (p, t) =>
        new bruno(p)
          .search(t)
          .flatMap(([end, words]) => words.map((w): [number, number, string] => [end + 1 - w.length, end + 1, w])),
    },
  ];
}

/** Checks overlapping matches and UTF-16 offsets: `ok`, or what went wrong. */
export function correctness(c: Candidate): string {
  const expected = "1-4:she 2-4:he 2-6:hers 10-12:ab 14-16:猫猫";
  const text = "ushers😀😀ab😀猫猫";
  try {
    const got = c
      .spans(["he", "she", "hers", "ab", "猫猫"], text)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([s, e, p]) => `${s}-${e}:${p}`)
      .join(" ");
    return got === expected ? "ok" : `WRONG (${got})`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

async function main() {
  const big = Number(process.argv[2] ?? 100_000);
  const bigTerms = generateTerms(big);
  const smallTerms = bigTerms.slice(0, 100);
  const asciiText = generateText(
    3000,
    false,
    7,
    smallTerms.filter((t) => t.charCodeAt(0) < 0x80),
  );
  const mixedText = generateText(3000, true, 8, smallTerms);
  const asciiNorm = normalizeForMatching(asciiText);
  const mixedNorm = normalizeForMatching(mixedText);
  const bigNorm = bigTerms.map(normalizeForMatching);
  const smallNorm = smallTerms.map(normalizeForMatching);
  console.log(`node ${process.version}, ${big} terms, texts of ${asciiText.length} chars`);
  console.log(`gc exposed: ${typeof (globalThis as { gc?: unknown }).gc === "function"}`);

  const rows: string[] = [];
  const fastest = { ascii: Number.POSITIVE_INFINITY, mixed: Number.POSITIVE_INFINITY };
  const measure = (c: Candidate): { row: string; ascii: number; mixed: number; ok: boolean } => {
    const check = correctness(c);
    const h0 = heapMb();
    const t0 = performance.now();
    let search: Search;
    try {
      search = c.build(bigNorm);
    } catch (error) {
      return {
        row: `| ${c.name} | ${check} | build failed: ${(error as Error).message} |`,
        ascii: 0,
        mixed: 0,
        ok: false,
      };
    }
    const buildMs = performance.now() - t0;
    const heap = heapMb() - h0;
    const bigAscii = timePerCall(() => search(asciiNorm));
    const bigMixed = timePerCall(() => search(mixedNorm));
    const small = c.build(smallNorm);
    const smallAscii = timePerCall(() => small(asciiNorm));
    return {
      row: `| ${c.name} | ${check} | ${fmt(buildMs, 0)} | ${fmt(heap, 0)} | ${fmt(smallAscii)} | ${fmt(bigAscii)} | ${fmt(bigMixed)} |`,
      ascii: bigAscii,
      mixed: bigMixed,
      ok: check === "ok",
    };
  };
  for (const c of await loadCandidates()) {
    const r = measure(c);
    rows.push(r.row);
    if (r.ok) {
      fastest.ascii = Math.min(fastest.ascii, r.ascii);
      fastest.mixed = Math.min(fastest.mixed, r.mixed);
    }
  }

  // Our matcher, timed on the ORIGINAL texts (normalisation and span mapping included).
  const h0 = heapMb();
  const t0 = performance.now();
  let matcher: KeywordMatcher | undefined = createKeywordMatcher({
    lists: [{ name: "bench", terms: bigTerms }],
    match: "word",
  });
  const buildMs = performance.now() - t0;
  const heap = heapMb() - h0;
  const small = createKeywordMatcher({ lists: [{ name: "bench", terms: smallTerms }], match: "word" });
  const m = matcher;
  const bigAscii = timePerCall(() => m.find(asciiText));
  const bigMixed = timePerCall(() => m.find(mixedText));
  const smallAscii = timePerCall(() => small.find(asciiText));
  const smallMixed = timePerCall(() => small.find(mixedText));
  const sep = createKeywordMatcher({ lists: [{ name: "bench", terms: bigTerms }], separators: true });
  const sepMixed = timePerCall(() => sep.find(mixedText));
  rows.push(
    `| dify-ext keywords (find on original text) | ok | ${fmt(buildMs, 0)} | ${fmt(heap, 0)} | ${fmt(smallAscii)} | ${fmt(bigAscii)} | ${fmt(bigMixed)} |`,
  );

  console.log(
    "\n| implementation | overlap+UTF-16 check | build ms (100k) | heap MB (100k) | ms/call 100 terms ASCII | ms/call 100k ASCII | ms/call 100k mixed |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) console.log(r);
  console.log(
    `\nour matcher: ${matcher.stats.patterns} patterns, ${matcher.stats.nodes} nodes, ${fmt(matcher.stats.bytes / 1048576, 1)} MB of arrays`,
  );
  console.log(
    `our matcher: 100 terms mixed ${fmt(smallMixed)} ms/call; separators on, 100k mixed ${fmt(sepMixed)} ms/call`,
  );
  console.log(
    `ratio 100k/100 terms: ASCII ${fmt(bigAscii / smallAscii, 2)}x, mixed ${fmt(bigMixed / smallMixed, 2)}x (target <= 1.5x)`,
  );
  console.log(
    `ratio to fastest correct package raw search: ASCII ${fmt(bigAscii / fastest.ascii, 2)}x, mixed ${fmt(bigMixed / fastest.mixed, 2)}x (target <= 2x)`,
  );
  console.log(`findings on the mixed text at 100k terms: ${m.find(mixedText).length}`);
  matcher = undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
