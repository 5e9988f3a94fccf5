/**
 * The texts the benchmark sends and judges. Everything is generated from fixed seeds, so every run
 * judges the same characters.
 */
import { mulberry32 } from "@dify-ext/test-support/random";
import { generateText } from "./synthetic.ts";

/** Plain English prose with one neutral Chinese sentence: what a Dify app typically carries. */
const PROSE = [
  "The quarterly report shows steady growth in every region, and the team plans to extend support hours next month.",
  "Customers asked for clearer invoices, so the billing page now lists each item with its tax and delivery date.",
  "今天的会议讨论了新产品的发布时间和市场计划，大家都同意下周再确认细节。",
  "Please summarise the attached notes in three short paragraphs and suggest a friendly subject line for the email.",
  "Our garden club meets on Saturday mornings to plant tomatoes, share seeds and swap tips about watering in summer.",
];

/** Clean prose of exactly `length` characters (English sentences, one Chinese sentence). */
export function prose(length: number, options: { chinese?: boolean } = {}): string {
  const sentences = options.chinese === false ? PROSE.filter((s) => s.charCodeAt(0) < 0x80) : PROSE;
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${sentences[i % sentences.length]!} `;
  return text.slice(0, length).trimEnd().padEnd(length, ".");
}

/** The same kind of prose with the numbers ordinary writing has: dates, times, amounts, counts, percentages. */
const PROSE_WITH_NUMBERS = [
  "The quarterly report for Q3 2024 shows 12% growth in every region, and support hours run from 9:00 to 18:00 from 1 March.",
  "Customers asked for clearer invoices, so invoice 48213 of 27.11.2024 now lists each of its 3 items with 19% tax.",
  "今天的会议讨论了新产品在2025年3月15日的发布时间，预算为120万元，大家同意下周再确认。",
  "Please summarise the 2 attached notes of 14 May in three short paragraphs, at most 250 words, by 5 pm on Friday.",
  "Our garden club of 35 members meets at 8:30 on Saturdays; the seeds cost $4.50 a pack, or €12 for 3 packs.",
];

/** Prose of exactly `length` characters with ordinary numbers in every sentence (English, one Chinese sentence). */
export function proseWithNumbers(length: number): string {
  let text = "";
  for (let i = 0; text.length < length; i++) text += `${PROSE_WITH_NUMBERS[i % PROSE_WITH_NUMBERS.length]!} `;
  return text.slice(0, length).trimEnd().padEnd(length, ".");
}

/** Ten short form inputs, as a Dify app with a form sends them. */
export function tenInputs(): Record<string, string> {
  const inputs: Record<string, string> = {};
  const values = [
    "Alex Morgan",
    "Customer support",
    "Invoice question",
    "Order 48213",
    "Friendly and brief",
    "English",
    "Berlin office",
    "Next Tuesday",
    "Delivery address changed last week",
    "No attachments",
  ];
  values.forEach((value, index) => {
    inputs[`field_${index + 1}`] = value;
  });
  return inputs;
}

/** A span-finding judge, e.g. a keyword matcher's `find` or an engine's verdict findings. */
export type FindSpans = (
  text: string,
) => Array<{ start: number; end: number }> | Promise<Array<{ start: number; end: number }>>;

/**
 * Replaces every character inside a finding with another random character of the same kind
 * (Latin letter or Han character) until no judge finds anything, so the text keeps its shape
 * but matches nothing: the worst case of a matcher that stops early, and the common case.
 */
export async function scrub(text: string, judges: readonly FindSpans[], seed = 99): Promise<string> {
  const rand = mulberry32(seed);
  const chars = [...text];
  // Index from UTF-16 offsets: the generated texts have no surrogate pairs.
  if (chars.length !== text.length) throw new Error("scrub: texts with surrogate pairs are not supported");
  let current = text;
  for (let round = 0; round < 50; round++) {
    const spans = (await Promise.all(judges.map((judge) => judge(current)))).flat();
    if (spans.length === 0) return current;
    for (const { start, end } of spans) {
      for (let i = start; i < end; i++) {
        const code = chars[i]!.charCodeAt(0);
        if (code >= 0x4e00 && code <= 0x9fff) chars[i] = String.fromCharCode(0x4e00 + Math.floor(rand() * 2500));
        else if (/[a-z]/i.test(chars[i]!)) chars[i] = String.fromCharCode(0x61 + Math.floor(rand() * 26));
        else chars[i] = " ";
      }
    }
    current = chars.join("");
  }
  throw new Error("scrub: could not remove every match in 50 rounds");
}

/**
 * Inserts `count` terms as separate words into `text`, spread evenly over its first 90%, keeping
 * the length (the characters the terms displace are dropped from the end).
 */
export function withTerms(text: string, terms: readonly string[], count: number): string {
  let out = text;
  for (let k = count - 1; k >= 0; k--) {
    let at = Math.floor(((k + 0.5) / count) * text.length * 0.9);
    const space = out.indexOf(" ", at);
    if (space >= 0 && space < text.length * 0.95) at = space;
    out = `${out.slice(0, at)} ${terms[k % terms.length]!} ${out.slice(at)}`;
  }
  return out.slice(0, text.length);
}

/** A mixed Latin/Chinese synthetic text (the keyword benchmark's generator), before scrubbing. */
export function syntheticText(length: number, seed: number, cjk = true): string {
  return generateText(length, cjk, seed, []);
}
