/**
 * Incremental judging for the `pii` engine: a streamed answer (Dify sends the whole answer so far,
 * again and again) is judged by keeping the findings before a *cut* and judging only the text
 * after it.
 *
 * A cut is a place between two characters that no finding, and no candidate a detector weighs,
 * can span: the two characters belong to no alphabet of one detector together (digits and phone
 * punctuation, card separators, token characters, e-mail addresses with their invisible and
 * full-width characters, an IP's hex digits, colons and dots;
 * a space next to a letter or digit only counts when an IBAN may have started in the 72 characters
 * before it). Every detector's look around a candidate reaches at most two characters past its
 * ends, so:
 *
 * - findings before a cut `c` depend on the text up to `c + 2` only: when a longer text extends
 *   one judged before whose length is at least `c + 2`, they stay as they were;
 * - findings after `c` depend on the text from `c - 2` on: judging the text from there finds them.
 *
 * A PEM private key block is the one finding whose reach has no bound (its base64 body runs to its
 * END line or the end of the text): a text holding `-----BEGIN ` is always judged whole.
 * `incremental.property.test.ts` checks that `extend(judge(prefix), text)` equals `judge(text)`.
 */
import type { Finding, IncrementalJudge, IncrementalJudgement, TextVerdict } from "../engine.ts";
import { foldWidth, isAsciiAlnum, isDigit, isIbanSpace, isInvisible, isLocalChar } from "./detectors.ts";

/** How far any detector looks past a candidate's ends. */
const LOOKAROUND = 2;
/** The longest stretch from an IBAN's first letter to its last character, plus one looked at after it. */
const IBAN_REACH = 72;
const PEM_BEGIN = "-----BEGIN ";
/** Bytes counted for a judgement besides its findings, and for each finding. */
const JUDGEMENT_BYTES = 96;
const FINDING_BYTES = 64;

interface PiiStreamState {
  /** The length of the text judged. */
  length: number;
  /** The last cut at most `length - LOOKAROUND`, or -1: the text before it is settled. */
  cut: number;
  /** The text holds a PEM BEGIN line: never extended. */
  pem: boolean;
}

const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
/** API keys, tokens and JWTs: letters, digits, `_`, `-` and (JWT) `.`. */
const isToken = (c: number) => isAsciiAlnum(c) || c === 95 || c === 45 || c === 46;
/** A phone candidate run: digits, spaces, no-break spaces, `-`, `.`, `(`, `)`, `/`. */
const isPhoneRun = (c: number) =>
  isDigit(c) || c === 32 || c === 0xa0 || c === 45 || c === 46 || c === 40 || c === 41 || c === 47;
/** A card number: digits and the separators its groups may have. */
const isCardRun = (c: number) =>
  isDigit(c) ||
  c === 32 ||
  c === 45 ||
  c === 0xa0 ||
  c === 0x2007 ||
  c === 0x2009 ||
  c === 0x202f ||
  (c >= 0x2010 && c <= 0x2013);
const isIp = (c: number) => isHex(c) || c === 58 || c === 46;
const isAt = (c: number) => c === 64 || c === 0xff20;
/** An address's character (its domain's are among them), full-width or invisible ones included. */
const isEmailLocal = (c: number) => isLocalChar(foldWidth(c)) || isInvisible(c);
/** Two letters and two digits: where an IBAN may start. */
const IBAN_START_LIKE = /[A-Za-z]{2}\d{2}/;

/** Can one detector weigh `text[c - 1]` and `text[c]` as parts of one candidate? */
function joined(text: string, c: number): boolean {
  const a = text.charCodeAt(c - 1);
  const b = text.charCodeAt(c);
  if (isToken(a) && isToken(b)) return true;
  // A phone candidate (`+` before a digit is an address's: see below), a card number.
  if (isPhoneRun(a) && isPhoneRun(b)) return true;
  if (isCardRun(a) && isCardRun(b)) return true;
  if (isIp(a) && isIp(b)) return true;
  // An address: its local part, `@`, its domain (whose characters the local part's include).
  if ((isEmailLocal(a) || isAt(a)) && (isEmailLocal(b) || isAt(b))) return true;
  if ((isIbanSpace(a) && isAsciiAlnum(b)) || (isAsciiAlnum(a) && isIbanSpace(b))) {
    return IBAN_START_LIKE.test(text.slice(Math.max(0, c - IBAN_REACH), c + 1));
  }
  return false;
}

/** The last cut in `[floor + 1, from]` (and at least `LOOKAROUND`), or `floor` when there is none. */
function lastCut(text: string, from: number, floor: number): number {
  for (let c = from; c > floor && c >= LOOKAROUND; c--) if (!joined(text, c)) return c;
  return floor;
}

function judgementOf(verdict: TextVerdict, state: PiiStreamState): IncrementalJudgement {
  return { verdict, state, bytes: JUDGEMENT_BYTES + FINDING_BYTES * verdict.findings.length };
}

/** The first finding starting at or after `at` (findings are in text order). */
function firstFrom(findings: readonly Finding[], at: number): number {
  let low = 0;
  let high = findings.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (findings[middle]!.start < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The pii engine's {@link IncrementalJudge}, from its whole-text judge. */
export function piiIncremental(judgeText: (text: string) => TextVerdict): IncrementalJudge {
  const stateOf = (text: string, pem: boolean, floor: number): PiiStreamState => ({
    length: text.length,
    cut: pem ? -1 : lastCut(text, text.length - LOOKAROUND, floor),
    pem,
  });
  return {
    judge(text) {
      return judgementOf(judgeText(text), stateOf(text, text.includes(PEM_BEGIN), -1));
    },
    extend(prior, text) {
      const before = prior.state as PiiStreamState;
      if (before.pem || text.length <= before.length) return undefined;
      const cut = lastCut(text, before.length - LOOKAROUND, before.cut);
      if (cut < LOOKAROUND) return undefined;
      const from = cut - LOOKAROUND;
      const tail = text.slice(from);
      // A BEGIN line after the cut is judged here, but the text can no longer be extended.
      const pem = tail.includes(PEM_BEGIN);
      const after = judgeText(tail).findings;
      const kept = prior.verdict.findings.slice(0, firstFrom(prior.verdict.findings, cut));
      for (let i = firstFrom(after, cut - from); i < after.length; i++) {
        const finding = after[i]!;
        kept.push({ ...finding, start: finding.start + from, end: finding.end + from });
      }
      // As the whole-text judge names them: each finding's category, and its type (the label) as the rule.
      const categories = new Set<string>();
      const rules = new Set<string>();
      for (const finding of kept) {
        if (finding.category !== undefined) categories.add(finding.category);
        rules.add(finding.label);
      }
      const verdict: TextVerdict =
        kept.length > 0
          ? { flagged: true, findings: kept, categories: [...categories], rules: [...rules] }
          : { flagged: false, findings: [], categories: [] };
      return judgementOf(verdict, stateOf(text, pem, cut));
    },
  };
}
