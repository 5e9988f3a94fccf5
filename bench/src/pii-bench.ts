/**
 * PII engine benchmark (Node only), against the keyword engine at 100,000 terms on the same texts
 * in the same run, interleaved:
 *
 *   cd bench && pnpm exec tsx src/pii-bench.ts            # optional: --rounds <n> --budget <ms> --terms <n>
 *
 * Texts of 3,000 characters (the engine benchmark's mixed Latin/Chinese synthetic text, scrubbed
 * until neither engine finds anything): with no PII; with no PII but 20 look-alikes (dates,
 * prices, order numbers, versions, ISBNs, UUIDs, hashes); and with dense PII (20 items of every
 * type inserted, four of them phone numbers; the last falls off the end, so 19 are found). Each round times the keyword engine and the pii engine
 * alternately on each text; the report gives the median of the rounds and the median of the
 * per-round ratios. It also prints the cost per 1,000 characters at 3,000, 300,000 and 1,200,000
 * characters (ordinary and hostile text), which stays flat for a linear engine.
 *
 * Phone-like text (issue 22): 260,000 characters of nothing but `+<digits>` runs (repeated or
 * random, valid numbers or not) against prose of the same length with ordinary numbers in every
 * sentence, timed alternately in each round; the ratio is the median of the per-round ratios. The
 * target is at most 5×. Each text is judged 10 times first (the number plans' patterns are compiled
 * on first use). Digit-free prose is shown beside it (the number detectors skip it whole), and the
 * time of one call on 1,000,000 characters of the issue's run.
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import type { ModerationEngine } from "@dify-ext/moderation-engines";
import { createKeywordEngine, createKeywordMatcher } from "@dify-ext/moderation-engines/keywords";
import { createPiiEngine, PII_TYPES } from "@dify-ext/moderation-engines/pii";
import { msPerCall } from "./engines.ts";
import { generateTerms } from "./synthetic.ts";
import { mulberry32 } from "@dify-ext/test-support/random";
import { prose, proseWithNumbers, scrub, syntheticText, withTerms } from "./texts.ts";

/** 20 findings, every type, as users paste them. */
export const DENSE_PII = [
  "jane.doe@example.com",
  "+44 20 7946 0958",
  "4111 1111 1111 1111",
  "DE89 3704 0044 0532 0130 00",
  "192.168.1.10",
  "13800138000",
  "123-45-6789",
  "AKIAIOSFODNN7EXAMPLE",
  "11010519491231002X",
  "(415) 555-2671",
  "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr",
  "ghp_1234567890abcdefghijABCDEFGHIJ123456",
  "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
  "2001:db8::8a2e:370:7334",
  "max.mustermann@beispiel.de",
  "+49 30 901820",
  "5555-5555-5555-4444",
  "+33 1 42 68 53 00",
  "GB29NWBK60161331926819",
];

/** 20 numbers and strings that look like PII and are not. */
export const LOOK_ALIKES = [
  "2024-11-27",
  "$1,299.99",
  "#123456789",
  "v1.2.3.4",
  "978-3-16-148410-0",
  "123e4567-e89b-12d3-a456-426614174000",
  "27.11.2024",
  "1Z999AA10123456784",
  "4111 1111 1111 1112",
  "9f86d081884c7d659a2feaa0c55ad015",
  "12:30:45",
  "10.0.19045.3693",
  "INV-2024-000123",
  "1.299.999",
  "00:1A:2B:3C:4D:5E",
  "11/27/2024",
  "sk-learn",
  "ext. 12345",
  "9400 1000 0000 0000 0000 00",
  "3.14159",
];

export interface PiiBenchRow {
  text: string;
  findings: { pii: number; keywords: number };
  keywordsMs: number;
  piiMs: number;
  /** Median over rounds of pii ÷ keywords, each round's pair measured back to back. */
  ratio: number;
  /** The pii engine without the phone type (libphonenumber-js), for where the time goes. */
  piiNoPhoneMs: number;
}

/** Characters of each phone-like text and of the prose it is compared with. */
export const PHONE_TEXT_LENGTH = 260_000;

/** `unit` repeated to exactly `length` characters. */
const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Random numbers of `min`–`max` digits (no leading 0), each after `prefix` and before a space, to `length` characters. */
function randomNumbers(length: number, prefix: string, min: number, max: number, seed: number): string {
  const rand = mulberry32(seed);
  let text = "";
  while (text.length < length) {
    const digits = min + Math.floor(rand() * (max - min + 1));
    let number = String(1 + Math.floor(rand() * 9));
    while (number.length < digits) number += String(Math.floor(rand() * 10));
    text += `${prefix}${number} `;
  }
  return text.slice(0, length);
}

/** Texts of nothing but phone-like runs, as the review of issue 22 sent them, and variants. */
export function phoneLikeTexts(length: number): Array<[string, string]> {
  return [
    ["`+861380013800 ` repeated (no valid number)", repeatTo("+861380013800 ", length)],
    ["`+8613800138000 ` repeated (a China mobile)", repeatTo("+8613800138000 ", length)],
    ["`+44 20 7946 0958 ` repeated (a London number)", repeatTo("+44 20 7946 0958 ", length)],
    ["random `+` numbers, 10–13 digits, all different", randomNumbers(length, "+", 10, 13, 22)],
    ["random 10-digit numbers without `+` (region US)", randomNumbers(length, "", 10, 10, 23)],
  ];
}

export interface PhoneRow {
  text: string;
  findings: number;
  ms: number;
  /** Median over rounds of this text's time ÷ the prose's, each pair measured back to back. */
  ratio: number;
}

export interface PiiBenchResult {
  terms: number;
  rounds: number;
  rows: PiiBenchRow[];
  /** Phone-like texts against prose with numbers of the same length. */
  phone: {
    length: number;
    proseMs: number;
    /** Digit-free prose, for comparison. */
    plainProseMs: number;
    rows: PhoneRow[];
    /** One call on 1,000,000 characters of the run. */
    megabyteMs: number;
  };
  /** ms per 1,000 characters at 3,000, 300,000 and 1,200,000 characters. */
  scaling: Array<{ text: string; per1000At3k: number; per1000At300k: number; per1000At1200k: number }>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const input = { point: "input" as const };

/** Runs the benchmark; `log` gets progress lines. */
export async function runPiiBench(
  options: { terms: number; rounds: number; budgetMs: number },
  log: (line: string) => void = () => {},
): Promise<PiiBenchResult> {
  log(`building the keyword engine at ${options.terms.toLocaleString("en-US")} terms…`);
  const terms = generateTerms(options.terms);
  const matcher = createKeywordMatcher({ lists: [{ name: "bench", terms }], match: "word" });
  const keywords = createKeywordEngine({ matcher });
  const pii = createPiiEngine();
  const piiNoPhone = createPiiEngine({ types: PII_TYPES.filter((type) => type !== "phone") });
  const findings = async (engine: ModerationEngine, text: string) =>
    (await engine.moderate([text], input))[0]!.findings;

  const base = await scrub(syntheticText(3000, 21), [(t) => matcher.find(t), (t) => findings(pii, t)]);
  const texts: Array<[string, string]> = [
    ["3,000 ch, no PII", base],
    ["3,000 ch, no PII, 20 look-alikes", withTerms(base, LOOK_ALIKES, 20)],
    ["3,000 ch, dense PII (every type)", withTerms(base, DENSE_PII, 20)],
  ];
  const rows: PiiBenchRow[] = [];
  for (const [name, text] of texts) {
    const found = { pii: (await findings(pii, text)).length, keywords: (await findings(keywords, text)).length };
    const k: number[] = [];
    const p: number[] = [];
    const q: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const keywordMs = await msPerCall(() => keywords.moderate([text], input), options.budgetMs);
      const piiMs = await msPerCall(() => pii.moderate([text], input), options.budgetMs);
      k.push(keywordMs);
      p.push(piiMs);
      ratios.push(piiMs / keywordMs);
      q.push(await msPerCall(() => piiNoPhone.moderate([text], input), options.budgetMs / 2));
    }
    rows.push({
      text: name,
      findings: found,
      keywordsMs: median(k),
      piiMs: median(p),
      ratio: median(ratios),
      piiNoPhoneMs: median(q),
    });
    log(`${name}: done`);
  }

  const hostile = "4111 1.2.3.4 a@b sk-eyJ -----BEGIN fe80:: DE00 (1) +86 138 ";
  const scaling: PiiBenchResult["scaling"] = [];
  for (const [name, unit] of [
    ["dense PII text, repeated", texts[2]![1]],
    ["hostile pieces, repeated", hostile],
  ] as const) {
    const small = unit.repeat(Math.ceil(3000 / unit.length)).slice(0, 3000);
    const large = unit.repeat(Math.ceil(300_000 / unit.length)).slice(0, 300_000);
    const huge = unit.repeat(Math.ceil(1_200_000 / unit.length)).slice(0, 1_200_000);
    const smallMs: number[] = [];
    const largeMs: number[] = [];
    const hugeMs: number[] = [];
    for (let round = 0; round < Math.min(options.rounds, 3); round++) {
      smallMs.push(await msPerCall(() => pii.moderate([small], input), options.budgetMs / 2));
      largeMs.push(await msPerCall(() => pii.moderate([large], input), options.budgetMs / 2));
      hugeMs.push(await msPerCall(() => pii.moderate([huge], input), options.budgetMs / 2));
    }
    scaling.push({
      text: name,
      per1000At3k: median(smallMs) / 3,
      per1000At300k: median(largeMs) / 300,
      per1000At1200k: median(hugeMs) / 1200,
    });
  }

  log("phone-like texts…");
  const baseline = proseWithNumbers(PHONE_TEXT_LENGTH);
  const plain = prose(PHONE_TEXT_LENGTH);
  const phoneTexts = phoneLikeTexts(PHONE_TEXT_LENGTH);
  const proseTimes: number[] = [];
  const plainTimes: number[] = [];
  const phoneTimes = phoneTexts.map(() => [] as number[]);
  const phoneRatios = phoneTexts.map(() => [] as number[]);
  // The number plans' patterns are compiled, and tiered up by V8, on first use: judged in steady state.
  for (const [, text] of phoneTexts) for (let call = 0; call < 10; call++) await pii.moderate([text], input);
  for (let round = 0; round < options.rounds; round++) {
    plainTimes.push(await msPerCall(() => pii.moderate([plain], input), options.budgetMs / 2));
    for (const [index, [, text]] of phoneTexts.entries()) {
      const proseMs = await msPerCall(() => pii.moderate([baseline], input), options.budgetMs);
      const phoneMs = await msPerCall(() => pii.moderate([text], input), options.budgetMs);
      proseTimes.push(proseMs);
      phoneTimes[index]!.push(phoneMs);
      phoneRatios[index]!.push(phoneMs / proseMs);
    }
  }
  const megabyte = repeatTo("+861380013800 ", 1_000_000);
  const megabyteTimes: number[] = [];
  for (let round = 0; round < Math.min(options.rounds, 3); round++) {
    megabyteTimes.push(await msPerCall(() => pii.moderate([megabyte], input), options.budgetMs));
  }
  const phone: PiiBenchResult["phone"] = {
    length: PHONE_TEXT_LENGTH,
    proseMs: median(proseTimes),
    plainProseMs: median(plainTimes),
    rows: await Promise.all(
      phoneTexts.map(async ([name, text], index) => ({
        text: name,
        findings: (await findings(pii, text)).length,
        ms: median(phoneTimes[index]!),
        ratio: median(phoneRatios[index]!),
      })),
    ),
    megabyteMs: median(megabyteTimes),
  };
  return { terms: options.terms, rounds: options.rounds, rows, scaling, phone };
}

const ms = (value: number) => `${value.toFixed(3)} ms`;
const perThousand = (msPerCall: number, length: number) => ((msPerCall * 1000 * 1000) / length).toFixed(2);

/** The result as Markdown tables. */
export function formatPiiBench(result: PiiBenchResult): string {
  const lines = [
    `| text | findings (pii) | keywords, ${result.terms.toLocaleString("en-US")} terms | pii | pii ÷ keywords | pii without \`phone\` |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...result.rows.map(
      (row) =>
        `| ${row.text} | ${row.findings.pii} | ${ms(row.keywordsMs)} | ${ms(row.piiMs)} | ${row.ratio.toFixed(2)}× | ${ms(row.piiNoPhoneMs)} |`,
    ),
    "",
    "| pii on | per 1,000 ch at 3,000 ch | at 300,000 ch | at 1,200,000 ch |",
    "| --- | ---: | ---: | ---: |",
    ...result.scaling.map(
      (row) => `| ${row.text} | ${ms(row.per1000At3k)} | ${ms(row.per1000At300k)} | ${ms(row.per1000At1200k)} |`,
    ),
    "",
    `| ${result.phone.length.toLocaleString("en-US")} ch of | findings | pii | µs per 1,000 ch | ÷ prose with numbers (target ≤ 5×) |`,
    "| --- | ---: | ---: | ---: | ---: |",
    `| prose with numbers (the baseline) | 0 | ${ms(result.phone.proseMs)} | ${perThousand(result.phone.proseMs, result.phone.length)} | 1× |`,
    `| prose without digits | 0 | ${ms(result.phone.plainProseMs)} | ${perThousand(result.phone.plainProseMs, result.phone.length)} | — |`,
    ...result.phone.rows.map(
      (row) =>
        `| ${row.text} | ${row.findings.toLocaleString("en-US")} | ${ms(row.ms)} | ${perThousand(row.ms, result.phone.length)} | ${row.ratio.toFixed(2)}× |`,
    ),
    "",
    `One call on 1,000,000 characters of \`+861380013800 \`: ${ms(result.phone.megabyteMs)}.`,
  ];
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "5" },
      budget: { type: "string", default: "300" },
      terms: { type: "string", default: "100000" },
    },
  });
  const result = await runPiiBench(
    { terms: Number(values.terms), rounds: Number(values.rounds), budgetMs: Number(values.budget) },
    (line) => console.error(line),
  );
  console.log(formatPiiBench(result));
}
