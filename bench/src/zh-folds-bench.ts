/**
 * Cost of the Chinese keyword folds (`# fold: chinese, numerals, lookalikes, repeats, pinyin,
 * initials, homophones`) on a large Chinese list (Node only).
 *
 *   cd bench && NODE_OPTIONS=--expose-gc pnpm exec tsx src/zh-folds-bench.ts   # optional arg: number of terms
 *
 * The list: `size` random Han terms of 2–4 characters; the texts: 3,000 characters of random Han
 * runs with some of the terms injected as written and as evasions (pinyin, initials, homophones,
 * component splits, repeats, Traditional forms). Every figure compares the same list with every
 * fold on against it with none, in the same run: builds alternate, texts are timed interleaved
 * round by round (CPU time, median of the rounds' ratios).
 */
import { pathToFileURL } from "node:url";
import {
  createKeywordMatcher,
  FOLD_NAMES,
  type KeywordMatcher,
  type ListFold,
  loadChineseReadings,
} from "@dify-ext/moderation-engines/keywords";
import { interleaved, measureBuild } from "./chinese-fold-bench.ts";
import { generateChineseTerms, generateChineseText } from "./synthetic.ts";

const fmt = (n: number, d = 3) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const size = Number(process.argv[2] ?? 100_000);
  const terms = generateChineseTerms(size);
  const t0 = process.cpuUsage();
  await loadChineseReadings();
  const loadMs = (process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000;
  const evasions = [
    "fa lun gong",
    "falungong",
    "法lun功",
    "flg",
    "发轮功",
    "氵去轮功",
    "赌赌博博",
    "壹贰叁肆伍陆柒捌",
    "法輪功",
  ];
  const planted = ["法轮功", "赌博", "12345678"];
  const plainText = generateChineseText(3000, 11, [...terms.slice(0, 50), ...planted]);
  const evasiveText = generateChineseText(3000, 12, [...terms.slice(0, 50), ...evasions]);
  const list = [...terms, ...planted];
  const plainOptions = { lists: [{ name: "zh", terms: list }] };
  const foldedOptions = { lists: [{ name: "zh", terms: list, folds: [...FOLD_NAMES] }] };
  console.log(`node ${process.version}, ${list.length} Chinese terms, texts of ${plainText.length} characters`);
  console.log(`pinyin-pro loaded in ${fmt(loadMs, 0)} ms of CPU`);

  // The first build of a process also builds the tables (readings of every character, look-alikes, OpenCC).
  const firstFolded = measureBuild(() => createKeywordMatcher(foldedOptions));
  const buildsPlain: number[] = [];
  const buildsFolded: number[] = [];
  let plain = measureBuild(() => createKeywordMatcher(plainOptions));
  let folded = firstFolded;
  for (let i = 0; i < 3; i++) {
    plain = measureBuild(() => createKeywordMatcher(plainOptions));
    folded = measureBuild(() => createKeywordMatcher(foldedOptions));
    buildsPlain.push(plain.ms);
    buildsFolded.push(folded.ms);
  }
  const p: KeywordMatcher = plain.matcher;
  const f: KeywordMatcher = folded.matcher;
  console.log(`\n## Build (CPU ms, median of 3 after a first build of each)`);
  console.log(
    `without folds ${fmt(median(buildsPlain), 0)}, every fold ${fmt(median(buildsFolded), 0)} (${fmt(median(buildsFolded) / median(buildsPlain), 2)}x); first build with every fold (tables too): ${fmt(firstFolded.ms, 0)} ms`,
  );
  console.log(
    `patterns ${p.stats.patterns} → ${f.stats.patterns} (${JSON.stringify(f.stats.variants)}), trie nodes ${p.stats.nodes} → ${f.stats.nodes}, stats.bytes ${fmt(p.stats.bytes / 1048576, 1)} → ${fmt(f.stats.bytes / 1048576, 1)} MB, heap growth ${fmt(plain.heapMb, 1)} → ${fmt(folded.heapMb, 1)} MB`,
  );
  console.log(`\n## Judging a 3,000-character Chinese text (CPU, interleaved)`);
  console.log(
    "| text | findings without / with | without ms/call | with ms/call | with/without (median; fastest) | with: M chars/s |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [name, text] of Object.entries({ "terms as written": plainText, "terms and evasions": evasiveText })) {
    const t = interleaved(
      () => p.find(text),
      () => f.find(text),
    );
    console.log(
      `| ${name} | ${p.find(text).length} / ${f.find(text).length} | ${fmt(t.a)} | ${fmt(t.b)} | ${fmt(t.ratio, 2)}x; ${fmt(t.minRatio, 2)}x | ${fmt(text.length / t.b / 1000, 1)} |`,
    );
  }
  // Each fold alone, and the text folds together, on the evasive text (same run, interleaved with the plain list).
  console.log("\n## Each fold alone (the evasive text; ratio to the list without folds, median of rounds)");
  const alone: Array<[string, ListFold[]]> = [
    ...FOLD_NAMES.map((fold): [string, ListFold[]] => [fold, [fold]]),
    ["chinese, numerals, lookalikes, repeats", ["chinese", "numerals", "lookalikes", "repeats"]],
    ["pinyin, homophones", ["pinyin", "homophones"]],
  ];
  const row: string[] = [];
  for (const [name, folds] of alone) {
    const m = createKeywordMatcher({ lists: [{ name: "zh", terms: list, folds }] });
    const t = interleaved(
      () => p.find(evasiveText),
      () => m.find(evasiveText),
      31,
    );
    row.push(`${name} ${fmt(t.ratio, 2)}x`);
  }
  console.log(row.join("; "));
  const byFold = new Map<string, number>();
  for (const finding of f.find(evasiveText))
    byFold.set(finding.fold ?? "(none)", (byFold.get(finding.fold ?? "(none)") ?? 0) + 1);
  console.log(`\nfindings in the evasive text by fold: ${[...byFold].map(([k, v]) => `${k} ${v}`).join(", ")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
