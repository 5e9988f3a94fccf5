/**
 * Cost of the keyword lists' `# fold: chinese` option, and a check that matchers without it did not
 * get slower (Node only).
 *
 *   cd bench && NODE_OPTIONS=--expose-gc pnpm exec tsx src/chinese-fold-bench.ts   # optional arg: number of terms
 *
 * 1. Lists without the option, against the matcher as it was before the option existed: that
 *    code is taken from git (the parent of the commit that added `chinese-fold.ts`, or the ref in
 *    `KEYWORDS_BASELINE_REF`) into a temporary folder and loaded beside the current one. Both run
 *    the same list and texts, interleaved round by round; the ratio is the median of the rounds'
 *    ratios, and their findings are compared.
 * 2. The same list with the option: build time, heap growth, per-text time, against the list
 *    without it (interleaved), and a plain list and a folded list together.
 *
 * Lists and texts are those of `keyword-bench.ts`: 70% random Latin words, 30% random Han strings;
 * 3,000-character texts, ASCII-only and mixed Latin/Chinese.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createKeywordMatcher,
  type KeywordMatcher,
  type KeywordMatcherOptions,
} from "@dify-ext/moderation-engines/keywords";
import { heapMb } from "./keyword-bench.ts";
import { generateTerms, generateText } from "./synthetic.ts";

const KEYWORDS_DIR = "packages/moderation-engines/src/keywords";
const fmt = (n: number, d = 3) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Loads the keyword matcher of a git ref (the code before the fold option) from a temporary folder. */
async function loadBaseline(): Promise<{ ref: string; create: (o: KeywordMatcherOptions) => KeywordMatcher }> {
  const root = execFileSync("git", ["rev-parse", "--show-toplevel"], {
    cwd: dirname(fileURLToPath(import.meta.url)),
    encoding: "utf8",
  }).trim();
  let ref = process.env.KEYWORDS_BASELINE_REF;
  if (!ref) {
    const added = execFileSync(
      "git",
      ["log", "--diff-filter=A", "--format=%H", "--", `${KEYWORDS_DIR}/chinese-fold.ts`],
      { cwd: root, encoding: "utf8" },
    )
      .trim()
      .split("\n")
      .pop();
    if (!added) throw new Error("chinese-fold.ts is not in git history: set KEYWORDS_BASELINE_REF");
    ref = `${added}^`;
  }
  const dir = mkdtempSync(join(tmpdir(), "keywords-baseline-"));
  const archive = execFileSync("git", ["archive", ref, KEYWORDS_DIR], { cwd: root });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  const mod = (await import(pathToFileURL(join(dir, KEYWORDS_DIR, "matcher.ts")).href)) as {
    createKeywordMatcher: (o: KeywordMatcherOptions) => KeywordMatcher;
  };
  rmSync(dir, { recursive: true, force: true });
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { cwd: root, encoding: "utf8" }).trim();
  return { ref: `${ref} (${sha})`, create: mod.createKeywordMatcher };
}

/**
 * Interleaved timing (CPU time): each round times a batch of `a`, then a batch of `b` (order alternating);
 * returns the medians of the per-call times and of the per-round ratios b/a, and the ratio of the
 * fastest rounds (the least disturbed by other load on a shared machine).
 */
export function interleaved(a: () => unknown, b: () => unknown, rounds = 101, batch = 40) {
  for (let i = 0; i < 20; i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const ratios: number[] = [];
  // CPU time of this process, not wall time: on a shared machine a batch that loses the CPU to
  // another process is not charged for the wait.
  const time = (fn: () => unknown) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) fn();
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / 1000 / batch;
  };
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = time(a);
      y = time(b);
    } else {
      y = time(b);
      x = time(a);
    }
    ta.push(x);
    tb.push(y);
    ratios.push(y / x);
  }
  return { a: median(ta), b: median(tb), ratio: median(ratios), minRatio: Math.min(...tb) / Math.min(...ta) };
}

/** Builds `build()` and reports the CPU time and the heap it added (GC before and after when exposed). */
export function measureBuild(build: () => KeywordMatcher) {
  const h0 = heapMb();
  const t0 = process.cpuUsage();
  const matcher = build();
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  return { matcher, ms, heapMb: heapMb() - h0 };
}

async function main() {
  const size = Number(process.argv[2] ?? 100_000);
  const terms = generateTerms(size);
  const asciiText = generateText(
    3000,
    false,
    7,
    terms.slice(0, 100).filter((t) => t.charCodeAt(0) < 0x80),
  );
  const mixedText = generateText(3000, true, 8, terms.slice(0, 100));
  const texts = { ASCII: asciiText, mixed: mixedText };
  console.log(`node ${process.version}, ${size} terms, texts of ${mixedText.length} chars`);
  console.log(`gc exposed: ${typeof (globalThis as { gc?: unknown }).gc === "function"}`);

  // 1. Without the option: this code against the code before the option, same run, interleaved.
  const baseline = await loadBaseline();
  const plainOptions = { lists: [{ name: "bench", terms }] };
  const oldMatcher = baseline.create(plainOptions);
  const newMatcher = createKeywordMatcher(plainOptions);
  console.log(`\n## Lists without the option: this code vs ${baseline.ref}, interleaved (ratio = new/old)`);
  console.log(
    "| text | old ms/call | new ms/call | new/old (median of rounds) | new/old (fastest rounds) | same findings |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, text] of Object.entries(texts)) {
    const same = JSON.stringify(oldMatcher.find(text)) === JSON.stringify(newMatcher.find(text));
    const t = interleaved(
      () => oldMatcher.find(text),
      () => newMatcher.find(text),
    );
    console.log(
      `| ${name} | ${fmt(t.a)} | ${fmt(t.b)} | ${fmt(t.ratio, 2)}x | ${fmt(t.minRatio, 2)}x | ${same ? "yes" : "NO"} |`,
    );
  }
  const separatorsOld = baseline.create({ ...plainOptions, separators: true });
  const separatorsNew = createKeywordMatcher({ ...plainOptions, separators: true });
  const sep = interleaved(
    () => separatorsOld.find(mixedText),
    () => separatorsNew.find(mixedText),
  );
  console.log(
    `| mixed, separators on | ${fmt(sep.a)} | ${fmt(sep.b)} | ${fmt(sep.ratio, 2)}x | ${fmt(sep.minRatio, 2)}x | ${JSON.stringify(separatorsOld.find(mixedText)) === JSON.stringify(separatorsNew.find(mixedText)) ? "yes" : "NO"} |`,
  );

  // 2. With the option. Builds alternate a few times; heap growth is of the last pair.
  const buildsPlain: number[] = [];
  const buildsFolded: number[] = [];
  let plain = measureBuild(() => createKeywordMatcher(plainOptions));
  let folded = measureBuild(() => createKeywordMatcher({ lists: [{ name: "bench", terms, folds: ["chinese"] }] }));
  const firstFolded = folded.ms;
  const tiny = measureBuild(() =>
    createKeywordMatcher({ lists: [{ name: "tiny", terms: ["后"], folds: ["chinese"] }] }),
  );
  const tinyMs = tiny.ms;
  for (let i = 0; i < 3; i++) {
    plain = measureBuild(() => createKeywordMatcher(plainOptions));
    folded = measureBuild(() => createKeywordMatcher({ lists: [{ name: "bench", terms, folds: ["chinese"] }] }));
    buildsPlain.push(plain.ms);
    buildsFolded.push(folded.ms);
  }
  // Two lists, one folded: the Latin terms without the option and the Han terms with it share one
  // pass; two lists that both hold Han terms (halves of the list) need two.
  const isHan = (t: string) => t.charCodeAt(0) >= 0x3400;
  const shared = createKeywordMatcher({
    lists: [
      { name: "en", terms: terms.filter((t) => !isHan(t)) },
      { name: "zh", terms: terms.filter(isHan), folds: ["chinese"] },
    ],
  });
  const half = Math.floor(terms.length / 2);
  const twoPasses = createKeywordMatcher({
    lists: [
      { name: "plain", terms: terms.slice(0, half) },
      { name: "zh", terms: terms.slice(half), folds: ["chinese"] },
    ],
  });
  console.log(`\n## The same ${size} terms with \`# fold: chinese\` (the first build also builds the fold table)`);
  console.log(
    `build CPU ms (median of 3, after a first build of each): without ${fmt(median(buildsPlain), 0)}, with ${fmt(median(buildsFolded), 0)} (${fmt(median(buildsFolded) / median(buildsPlain), 2)}x)`,
  );
  console.log(
    `first folded build (builds the fold table too): ${fmt(firstFolded, 0)} ms; a one-term folded list once the table exists: ${fmt(tinyMs, 2)} ms`,
  );
  console.log(
    `heap growth of one matcher: without ${fmt(plain.heapMb, 1)} MB, with ${fmt(folded.heapMb, 1)} MB; stats.bytes without ${fmt(plain.matcher.stats.bytes / 1048576, 2)} MB, with ${fmt(folded.matcher.stats.bytes / 1048576, 2)} MB`,
  );
  console.log(
    "| text | without ms/call | with ms/call | with/without (median; fastest) | Latin list + folded Han list (one pass) | two lists with Han terms, one folded (two passes) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, text] of Object.entries(texts)) {
    const p = plain.matcher;
    const f = folded.matcher;
    const t = interleaved(
      () => p.find(text),
      () => f.find(text),
    );
    const one = interleaved(
      () => p.find(text),
      () => shared.find(text),
    );
    const two = interleaved(
      () => p.find(text),
      () => twoPasses.find(text),
    );
    console.log(
      `| ${name} | ${fmt(t.a)} | ${fmt(t.b)} | ${fmt(t.ratio, 2)}x; ${fmt(t.minRatio, 2)}x | ${fmt(one.b)} (${fmt(one.ratio, 2)}x; ${fmt(one.minRatio, 2)}x) | ${fmt(two.b)} (${fmt(two.ratio, 2)}x; ${fmt(two.minRatio, 2)}x) |`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
