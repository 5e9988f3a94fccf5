/**
 * The `pii` engine's detectors: each finds one kind of personal data or secret in a text and
 * reports `[start, end)` spans of the original text (UTF-16 indexes).
 *
 * Every detector costs time linear in the text. Regular expressions here either start with a
 * literal or a boundary lookbehind (so they start only at the edge of a token, never again inside
 * it) and have bounded or unambiguous repetitions (nothing to backtrack into); the rest are
 * `indexOf` loops with bounded windows. `pii.property.test.ts` runs long adversarial strings
 * through every detector.
 */
import { getCountrySpecifications, isValidIBAN } from "ibantools";
import { type CountryCode, Metadata, parsePhoneNumberFromString } from "libphonenumber-js/max";
import {
  cardGroupingUsual,
  cardIssuerFirstDigit,
  cardIssuerPlausibleByPrefix,
  cnResidentIdValid,
  ipv4Valid,
  ipv6Valid,
  usSsnValid,
} from "./checks.ts";
import { phonePlanCheck } from "./phone-plans.ts";
import type { PiiType, SecretType } from "./types.ts";

export interface Hit {
  type: PiiType;
  start: number;
  end: number;
}

/**
 * Finds one kind of data in a text, pushing its spans onto `out`. `taken` marks the characters that
 * detectors run before found (phone numbers, the costliest, skip candidates found already).
 */
export type Detector = (text: string, out: Hit[], taken?: Uint8Array) => void;

export const isDigit = (c: number) => c >= 48 && c <= 57;
export const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isAsciiAlnum = (c: number) => isDigit(c) || isAsciiLetter(c);

// ---------------------------------------------------------------------------------------------
// E-mail addresses

/** Characters of the local part that mail users actually use (RFC 5322 allows more). */
export const isLocalChar = (c: number) => isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number) => isAsciiAlnum(c) || c === 46 || c === 45;
/**
 * The ASCII character a full-width form stands for (`ｊ` → `j`, `＠` → `@`, `．` → `.`), else the
 * character itself: East Asian input methods type addresses in full width, and mail clients read them.
 */
export const foldWidth = (c: number) => (c >= 0xff01 && c <= 0xff5e ? c - 0xfee0 : c);
/**
 * Characters that show nothing (zero-width space, non-joiner and joiner, word joiner, byte-order
 * mark, soft hyphen): inside an address they hide it from a plain scan, so they are read through
 * and masked with it.
 */
export const isInvisible = (c: number) => c === 0xad || (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
/** Code units scanned per side of an `@` at most, invisible characters included. */
const MAX_SCAN = 4 * MAX_DOMAIN;
const AT_SIGN = /[@\uff20]/g;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * `local@domain.tld` with an ASCII local part and domain, also typed in full-width forms
 * (`ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`) and with invisible characters inside (`us\u200ber@…`): the span
 * covers the whole address, invisible characters included. (Internationalised addresses are found
 * only in their ASCII form.) Each `@` looks at most 64 address characters back and 253 forward,
 * and at most {@link MAX_SCAN} code units either way.
 */
export const findEmails: Detector = (text, out) => {
  AT_SIGN.lastIndex = 0;
  for (let match = AT_SIGN.exec(text); match !== null; match = AT_SIGN.exec(text)) {
    const at = match.index;
    // The local part, backwards: address characters, and invisible ones between them.
    let start = at;
    let local = 0;
    let tooLong = false;
    for (let i = at - 1; i >= 0 && at - i <= MAX_SCAN; i--) {
      const c = text.charCodeAt(i);
      if (isLocalChar(foldWidth(c))) {
        if (++local > MAX_LOCAL) {
          tooLong = true;
          break;
        }
        start = i;
      } else if (!isInvisible(c)) break;
      if (at - i === MAX_SCAN && i > 0) tooLong = true;
    }
    if (tooLong) continue;
    // A local part neither starts nor ends with a dot.
    while (start < at && (foldWidth(text.charCodeAt(start)) === 46 || isInvisible(text.charCodeAt(start)))) start++;
    let last = at - 1;
    while (last >= start && isInvisible(text.charCodeAt(last))) last--;
    if (start >= at || foldWidth(text.charCodeAt(last)) === 46) continue;

    // The domain, forwards, read without its invisible characters and in ASCII.
    let end = at + 1;
    let domain = "";
    let cut = false;
    for (let i = at + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const folded = foldWidth(c);
      if (isDomainChar(folded)) {
        domain += String.fromCharCode(folded);
        end = i + 1;
      } else if (!isInvisible(c)) break;
      // Longer than any domain: not an address (and not scanned further).
      if (domain.length > MAX_DOMAIN || i - at >= MAX_SCAN) {
        cut = true;
        break;
      }
    }
    if (cut) continue;
    // A domain ends with neither a dot nor a hyphen (`mail me at a@b.com.`).
    while (domain.length > 0 && (domain.endsWith(".") || domain.endsWith("-"))) {
      domain = domain.slice(0, -1);
      end--;
      while (end > at + 1 && isInvisible(text.charCodeAt(end - 1))) end--;
    }
    const labels = domain.split(".");
    if (labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label)) && TOP_LEVEL.test(labels.at(-1)!)) {
      out.push({ type: "email", start, end });
      AT_SIGN.lastIndex = end;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Numbers written with digits

/** Does the text hold an ASCII digit at all? Most texts without one skip every number detector. */
export const hasDigit = (text: string) => /\d/.test(text);

/**
 * 12–19 digits, possibly joined by single separators, not glued to a letter or digit. A separator
 * is a space, a no-break space (U+00A0), a figure, thin or narrow no-break space (U+2007, U+2009,
 * U+202F: what word processors and locales put between digit groups), a hyphen, a Unicode hyphen
 * or non-breaking hyphen (U+2010, U+2011), or an en dash (U+2013, what typography makes of a
 * hyphen between digits).
 */
const CARD_CANDIDATE = /(?<![\dA-Za-z])\d(?:[ \u00a0\u2007\u2009\u202f\u2010\u2011\u2013-]?\d){11,18}(?![\dA-Za-z])/g;

/**
 * Is `raw[0, end)` a card: one kind of separator between usual groups, a known issuer prefix, and
 * Luhn-valid? The issuer and Luhn are checked first: most candidates in a run of numbers fail
 * there, before the groups are counted.
 */
function cardValid(raw: string, end: number, separator: number): boolean {
  let digits = 0;
  let prefix = 0;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (!isDigit(c)) continue;
    if (digits < 6) prefix = prefix * 10 + c - 48;
    digits++;
  }
  for (let padding = digits; padding < 6; padding++) prefix *= 10;
  if (!cardIssuerPlausibleByPrefix(digits, prefix)) return false;
  // Luhn: from the right, every second digit doubled.
  let sum = 0;
  let left = digits;
  for (let i = 0; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (!isDigit(c)) continue;
    let d = c - 48;
    if (left-- % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  if (sum % 10 !== 0) return false;
  if (separator === -1) return true;
  const groups: number[] = [];
  let group = 0;
  for (let i = 0; i < end; i++) {
    if (raw.charCodeAt(i) === separator) {
      groups.push(group);
      group = 0;
    } else group++;
  }
  groups.push(group);
  return cardGroupingUsual(groups);
}

/**
 * Payment card numbers: 12–19 digits, a usual grouping, a known issuer prefix, Luhn-valid. A number
 * written in groups must be the whole run of groups (a 22-digit tracking number written in fours
 * holds no card), except that a short trailing group (`4111 1111 1111 1111 12/27`) may be dropped.
 */
export const findCards: Detector = (text, out) => {
  CARD_CANDIDATE.lastIndex = 0;
  for (let match = CARD_CANDIDATE.exec(text); match !== null; match = CARD_CANDIDATE.exec(text)) {
    const raw = match[0];
    const start = match.index;
    // Every issuer's numbers start with 2–6 (`cardIssuerPlausibleByPrefix`), with or without a trailing group.
    if (!cardIssuerFirstDigit(raw.charCodeAt(0))) continue;
    // One kind of separator throughout (`4111-1111 1111 1111` is not taken), and none at all is fine.
    let separator = -1;
    let mixed = false;
    let lastSeparator = -1;
    for (let i = 1; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (isDigit(c)) continue;
      if (separator === -1) separator = c;
      else if (c !== separator) mixed = true;
      lastSeparator = i;
    }
    if (mixed) continue;
    if (separator !== -1) {
      const before = text.charCodeAt(start - 1) === separator && isDigit(text.charCodeAt(start - 2));
      const after =
        text.charCodeAt(start + raw.length) === separator && isDigit(text.charCodeAt(start + raw.length + 1));
      if (before || after) continue;
    }
    let end = raw.length;
    if (!cardValid(raw, end, separator)) {
      if (lastSeparator === -1 || raw.length - lastSeparator - 1 >= 4) continue;
      end = lastSeparator;
      if (!cardValid(raw, end, separator)) continue;
    }
    out.push({ type: "card", start, end: start + end });
  }
};

/**
 * 18 characters not glued to a letter or digit, the ID being the last 18 of the match. The character
 * before is matched rather than looked behind at: in a run of digits the search then fails at each
 * character on one test instead of a look-behind's.
 */
const CN_ID_CANDIDATE = /(?:^|[^\dA-Za-z])[1-9]\d{16}[\dXx](?![\dA-Za-z])/g;

/** China resident identity numbers: 18 characters, province code, birth date, MOD 11-2 check. */
export const findCnIds: Detector = (text, out) => {
  for (const match of text.matchAll(CN_ID_CANDIDATE)) {
    const start = match.index + match[0].length - 18;
    if (cnResidentIdValid(text.slice(start, start + 18))) out.push({ type: "cn-id", start, end: start + 18 });
  }
};

const SSN_CANDIDATE = /(?<![\dA-Za-z])(?<!\d[ -])(\d{3})([ -])(\d{2})\2(\d{4})(?![\dA-Za-z])(?![ -]\d)/g;

/**
 * US Social Security numbers written `123-45-6789` or `123 45 6789`, without the numbers the SSA
 * never issues. Nine digits without separators are not taken (too many other numbers look so).
 */
export const findUsSsns: Detector = (text, out) => {
  for (const match of text.matchAll(SSN_CANDIDATE)) {
    if (usSsnValid(match[1]!, match[3]!, match[4]!))
      out.push({ type: "us-ssn", start: match.index, end: match.index + 11 });
  }
};

/**
 * Mainland China mobile numbers: 11 digits starting 13–19, written whole or 3-4-4 with spaces or
 * hyphens, optionally after +86 or 0086.
 */
const CN_MOBILE_CANDIDATE =
  /(?<![\dA-Za-z+])(?<!\d[ -])(?:(?:\+|00)86[ -]?)?1[3-9]\d([ -]?)\d{4}\1\d{4}(?![\dA-Za-z])(?![ -]\d)/g;

export const findCnMobiles: Detector = (text, out) => {
  for (const match of text.matchAll(CN_MOBILE_CANDIDATE)) {
    out.push({ type: "cn-mobile", start: match.index, end: match.index + match[0].length });
  }
};

/**
 * Dotted-quad IPv4 addresses. Not taken: a first part of 0, parts with leading zeros, four parts
 * glued to a letter (`v1.2.3.4`) or followed by a fifth (`1.2.3.4.5`, a version).
 */
const IPV4_CANDIDATE =
  /(?<![\dA-Za-z.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\dA-Za-z])(?!\.\d)/g;

/**
 * IPv6 candidates: up to eight colon-separated hex groups (any may be empty, for `::`), optionally
 * ending in dotted IPv4; bounded repetitions, starting only at a token edge.
 */
const IPV6_CANDIDATE =
  /(?<![\dA-Za-z_:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\dA-Za-z_:])/g;

export const findIps: Detector = (text, out) => {
  // A dotted quad has dots: a text without one (a run of numbers) is not scanned for it.
  if (text.includes(".") && hasDigit(text)) {
    for (const match of text.matchAll(IPV4_CANDIDATE)) {
      if (ipv4Valid(match[0]) && !match[0].startsWith("0."))
        out.push({ type: "ip", start: match.index, end: match.index + match[0].length });
    }
  }
  if (text.includes(":")) {
    for (const match of text.matchAll(IPV6_CANDIDATE)) {
      const raw = match[0];
      // `::1`-like shorthands and `a::b` (code) are too ambiguous: at least two groups and a digit.
      const groups = raw.split(":").filter(Boolean).length;
      if (groups >= 2 && /\d/.test(raw) && ipv6Valid(raw))
        out.push({ type: "ip", start: match.index, end: match.index + raw.length });
    }
  }
};

// ---------------------------------------------------------------------------------------------
// IBANs

/** Where an IBAN may start: two letters (any case) and two digits at the start of a word. */
const IBAN_START = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ \u00a0\u202f]?[A-Za-z0-9])/g;
/** What IBAN groups are separated by: a space, or a no-break or narrow no-break space. */
export const isIbanSpace = (c: number) => c === 32 || c === 0xa0 || c === 0x202f;
let ibanLengths: Map<string, number> | undefined;

/** The length of each country's IBAN, from ibantools' registry. */
function ibanLength(country: string): number | undefined {
  if (!ibanLengths) {
    ibanLengths = new Map();
    for (const [code, spec] of Object.entries(getCountrySpecifications())) {
      if (spec.chars) ibanLengths.set(code, spec.chars);
    }
  }
  return ibanLengths.get(country);
}

/**
 * IBANs, in upper or lower case, written whole or in groups separated by single spaces (or no-break
 * spaces): exactly as many characters as the country's IBAN has, checked by ibantools (country
 * format and MOD 97-10 checksum) in upper case.
 */
export const findIbans: Detector = (text, out) => {
  IBAN_START.lastIndex = 0;
  for (let match = IBAN_START.exec(text); match !== null; match = IBAN_START.exec(text)) {
    const length = ibanLength(match[0].slice(0, 2).toUpperCase());
    if (length === undefined) continue;
    let iban = "";
    let end = match.index;
    while (end < text.length && iban.length < length) {
      const c = text.charCodeAt(end);
      if (isAsciiAlnum(c)) iban += text[end];
      else if (!(isIbanSpace(c) && iban.length > 0 && isAsciiAlnum(text.charCodeAt(end + 1)))) break;
      end++;
    }
    if (iban.length !== length || (end < text.length && isAsciiAlnum(text.charCodeAt(end)))) continue;
    iban = iban.toUpperCase();
    if (isValidIBAN(iban)) {
      out.push({ type: "iban", start: match.index, end });
      IBAN_START.lastIndex = end;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Phone numbers (libphonenumber-js)

/**
 * Phone number candidates: a maximal run of digits and the characters numbers are written with
 * (`isPhoneWindowChar`), starting with `+`, `(` or a digit. This finds where one starts (the match
 * ends after its first digit); the run is read on by hand, without a match object or a string.
 */
const PHONE_WINDOW_START = /[+(]?\d/g;
/** The characters of a phone candidate's run: digits, space, `-`, `.`, `(`, `)`, `/`, no-break space. */
const isPhoneWindowChar = (c: number) =>
  isDigit(c) || c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 47 || c === 0xa0;
const MIN_PHONE_DIGITS = 7;
/** Verdicts the phone detector keeps per text (a power of two): repeated numbers are judged once. */
const RECENT_PIECES = 256;
const NOT_DIGIT = /\D/g;
/** E.164 numbers have at most 15 digits, country code included. */
const MAX_PHONE_DIGITS = 15;
/**
 * The longest candidate handed to libphonenumber-js. Real numbers with their punctuation are
 * shorter; a longer run (a table of figures, `1.1.1.1…`) is not searched, which keeps the cost of
 * the library's parser per text bounded by the text's length.
 */
const MAX_PHONE_CHARS = 40;
/** Dates (`2024-11-27`, `27.11.2024`, `11/27/2024`) that some regions' number plans would accept. */
const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;
/** Amounts with dots as thousands separators (`1.299.999`), valid numbers in some regions. */
const GROUPED_AMOUNT = /^\d{1,3}(?:\.\d{3})+$/;

const isSpace = (c: number) => c === 32 || c === 0xa0;
const isPlusOrParen = (c: number) => c === 43 || c === 40;

/** Is the number at `edge` glued to a word, directly (`A123…`) or through a joiner (`INV-2024-…`)? */
function gluedToWord(text: string, edge: number, direction: 1 | -1): boolean {
  const next = text.charCodeAt(edge + direction);
  if (isAsciiLetter(next)) return true;
  const joiner = next === 45 || next === 95 || next === 47 || next === 46 || next === 35;
  return joiner && isAsciiAlnum(text.charCodeAt(edge + 2 * direction));
}

/**
 * Cuts a candidate run where one number ends and the next begins: at `/`, at two spaces, and at a
 * space before `+` or `(` (`+49 30 901820 / +49 30 901821`). Writes `[start, end)` pairs into
 * `pieces` from its start (flat: start, end, start, end…) and returns how many numbers it wrote.
 */
function phonePieces(text: string, start: number, end: number, pieces: number[]): number {
  let count = 0;
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 47) {
      pieces[count++] = from;
      pieces[count++] = i;
      from = i + 1;
    } else if ((c === 43 || c === 40) && i > from && isSpace(text.charCodeAt(i - 1))) {
      pieces[count++] = from;
      pieces[count++] = i;
      from = i;
    } else if (isSpace(c) && isSpace(text.charCodeAt(i + 1))) {
      pieces[count++] = from;
      pieces[count++] = i;
      from = i + 1;
    }
  }
  pieces[count++] = from;
  pieces[count++] = end;
  return count;
}

/** Are `text[a, a + length)` and `text[b, b + length)` the same? */
function sameAt(text: string, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (text.charCodeAt(a + i) !== text.charCodeAt(b + i)) return false;
  return true;
}

/**
 * Phone numbers: each candidate of the text that libphonenumber-js parses, as a whole, into a
 * number valid for its region's number plan (full metadata), numbers without `+` read as numbers of
 * `region`. Skipped: runs glued to a letter, candidates with fewer than seven digits or more than 40
 * characters, candidates whose every digit another type found (a card, an IP address), dates and
 * dotted amounts.
 *
 * One parse per candidate, not `findPhoneNumbersInText`: on a candidate that is not a number (a
 * Luhn-invalid card, a date, an ISBN) the library's text search tries its inner groupings one by
 * one, at milliseconds a candidate (docs/performance.md, pii engine). And before parsing, a
 * candidate without `+` must have as many digits as a national number of the region (its number
 * plan's possible lengths, one more for a trunk prefix), one with `+` at most 15.
 *
 * The validity itself comes from the library's number plans with each pattern compiled once
 * (`phonePlanCheck`, which follows the library's parse and `isValid` and is tested against them):
 * the library's own call builds every pattern anew and costs 5–15 µs a candidate, the check well
 * under one. The library is asked where the check does not follow it (a number written with `00`
 * or its calling code instead of `+`).
 */
export function phoneDetector(region: CountryCode): Detector {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(region);
  const nationalLengths = new Set(metadata.numberingPlan?.possibleLengths() ?? []);
  const plausible = (digits: number, international: boolean) =>
    international ? digits <= MAX_PHONE_DIGITS : nationalLengths.has(digits) || nationalLengths.has(digits - 1);
  const fromPlans = phonePlanCheck(region);
  const library = (piece: string) =>
    parsePhoneNumberFromString(piece, { defaultCountry: region, extract: false })?.isValid() === true;
  /**
   * Is `text[start, end)` (past the cheap filters) a phone number? `bare`: it is digits alone, after
   * its `+` if it has one; then the number plans read it in the text, and no string is made for it.
   */
  const judge = (text: string, start: number, end: number, bare: boolean, dotOrHyphen: boolean) => {
    const international = text.charCodeAt(start) === 43;
    if (bare)
      return fromPlans(text, international, international ? start + 1 : start, end) ?? library(text.slice(start, end));
    const piece = text.slice(start, end);
    if (dotOrHyphen && (DATE_LIKE.test(piece) || GROUPED_AMOUNT.test(piece))) return false;
    return fromPlans(piece.replace(NOT_DIGIT, ""), international) ?? library(piece);
  };
  return (text, out, taken) => {
    // The last verdicts, by a hash of the piece: a number repeated (a table, a paste) is judged once,
    // found by comparing its characters with the text where it was judged, without a string made.
    const recentStarts = new Int32Array(RECENT_PIECES);
    const recentLengths = new Int32Array(RECENT_PIECES);
    const recentHashes = new Int32Array(RECENT_PIECES);
    const recentVerdicts = new Uint8Array(RECENT_PIECES);
    const pieces: number[] = [];
    /** Judges the piece `text[start, end)`, of `digits` digits (some not taken) and `punctuation` other characters. */
    const consider = (
      start: number,
      end: number,
      digits: number,
      punctuation: number,
      dotOrHyphen: boolean,
      hash: number,
    ) => {
      const international = text.charCodeAt(start) === 43;
      if (digits < MIN_PHONE_DIGITS || !plausible(digits, international)) return;
      const slot = hash & (RECENT_PIECES - 1);
      const length = end - start;
      let verdict: boolean;
      if (
        recentLengths[slot] === length &&
        recentHashes[slot] === hash &&
        sameAt(text, recentStarts[slot]!, start, length)
      ) {
        verdict = recentVerdicts[slot] === 1;
      } else {
        verdict = judge(text, start, end, punctuation === (international ? 1 : 0), dotOrHyphen);
        recentStarts[slot] = start;
        recentLengths[slot] = length;
        recentHashes[slot] = hash;
        recentVerdicts[slot] = verdict ? 1 : 0;
      }
      if (verdict) out.push({ type: "phone", start, end });
    };
    for (let from = 0; ; ) {
      let firstDigit: number;
      if (isPlusOrParen(text.charCodeAt(from)) && isDigit(text.charCodeAt(from + 1))) {
        // The next window starts where the last ended (`+1… +2…`): no search.
        firstDigit = from + 1;
      } else {
        PHONE_WINDOW_START.lastIndex = from;
        if (!PHONE_WINDOW_START.test(text)) break;
        // The match is `[+(]?\d`: it starts one character earlier when it holds a `+` or `(`.
        firstDigit = PHONE_WINDOW_START.lastIndex - 1;
      }
      const before = text.charCodeAt(firstDigit - 1);
      const windowStart = firstDigit >= 1 && isPlusOrParen(before) ? firstDigit - 1 : firstDigit;
      // The digits that open the window, hashed as they are read (as below): most candidates are no more.
      let hash = windowStart < firstDigit ? before : 0;
      let digitsEnd = firstDigit;
      for (let c = text.charCodeAt(digitsEnd); isDigit(c); c = text.charCodeAt(++digitsEnd)) {
        hash = (Math.imul(hash, 31) + c) | 0;
      }
      let windowEnd = digitsEnd;
      while (windowEnd < text.length && isPhoneWindowChar(text.charCodeAt(windowEnd))) windowEnd++;
      from = windowEnd;
      while (!isDigit(text.charCodeAt(windowEnd - 1))) windowEnd--;
      if (gluedToWord(text, windowStart, -1) || gluedToWord(text, windowEnd - 1, 1)) continue;
      if (windowEnd === digitsEnd) {
        // One piece: digits alone, after a `+` or `(`.
        if (windowEnd - windowStart > MAX_PHONE_CHARS) continue;
        let free = taken === undefined;
        for (let i = firstDigit; i < windowEnd && !free; i++) free = taken![i] === 0;
        if (free) consider(windowStart, windowEnd, windowEnd - firstDigit, firstDigit - windowStart, false, hash);
        continue;
      }
      const count = phonePieces(text, windowStart, windowEnd, pieces);
      for (let p = 0; p < count; p += 2) {
        let start = pieces[p]!;
        let end = pieces[p + 1]!;
        while (start < end && !isDigit(text.charCodeAt(start)) && !isPlusOrParen(text.charCodeAt(start))) start++;
        while (end > start && !isDigit(text.charCodeAt(end - 1))) end--;
        if (end - start > MAX_PHONE_CHARS) continue;
        let digits = 0;
        let free = 0;
        // Dots and hyphens make dates and amounts; a piece without other punctuation is its digits.
        let dotOrHyphen = false;
        let punctuation = 0;
        hash = 0;
        for (let i = start; i < end; i++) {
          const c = text.charCodeAt(i);
          hash = (Math.imul(hash, 31) + c) | 0;
          if (!isDigit(c)) {
            punctuation++;
            if (c === 46 || c === 45) dotOrHyphen = true;
            continue;
          }
          digits++;
          if (taken === undefined || taken[i] === 0) free++;
        }
        if (free > 0) consider(start, end, digits, punctuation, dotOrHyphen, hash);
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Where a secret may start: every format begins with one of these literals. */
const SECRET_START = /sk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-|eyJ|-----BEGIN /g;
const isTokenChar = (c: number) => isAsciiAlnum(c) || c === 95 || c === 45;

const OPENAI_KEY = /sk-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/y;
const AWS_KEY = /(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/y;
const GITHUB_TOKEN = /(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/y;
const SLACK_TOKEN = /xox[abprs]-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])/y;
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])/y;
const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/y;
const PEM_END = /-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/y;
const MAX_JWT_HEADER = 4096;

/** Random key material mixes upper case, lower case and digits; prose with hyphens does not. */
const looksRandom = (body: string) => /[a-z]/.test(body) && /[A-Z]/.test(body) && /\d/.test(body);

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/** Does a JWT's first part decode (base64url) to a JSON object naming its `alg`? */
function jwtHeaderValid(token: string): boolean {
  const header = token.slice(0, token.indexOf("."));
  // `{"alg":"x"}` is the shortest header; a length of 1 mod 4 is not base64.
  if (header.length < 15 || header.length > MAX_JWT_HEADER || header.length % 4 === 1) return false;
  try {
    const padded = header.replace(/-/g, "+").replace(/_/g, "/");
    const decoded = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)).trim();
    if (!decoded.startsWith("{") || !decoded.endsWith("}")) return false;
    const json = JSON.parse(decoded) as unknown;
    return typeof json === "object" && json !== null && typeof (json as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

/** The secret types a text can hold, by the detector that finds all of them in one pass. */

/**
 * API keys and tokens (OpenAI `sk-…`, AWS access key IDs, GitHub and Slack tokens), JWTs and PEM
 * private key blocks, found in one pass over the literals they start with. `enabled` says which to
 * report.
 */
export function secretDetector(enabled: ReadonlySet<SecretType>): Detector {
  return (text, out) => {
    // Where the search for an END line last failed: no END line after it, so none is searched again.
    let noEndAfter = Number.POSITIVE_INFINITY;
    SECRET_START.lastIndex = 0;
    for (let match = SECRET_START.exec(text); match !== null; match = SECRET_START.exec(text)) {
      const at = match.index;
      const literal = match[0];
      if (literal === "-----BEGIN ") {
        const begin = matchAt(PEM_BEGIN, text, at);
        if (!begin || !enabled.has("private-key")) continue;
        let end = -1;
        let from = at + begin.length;
        while (from < noEndAfter) {
          const candidate = text.indexOf("-----END ", from);
          if (candidate === -1) {
            noEndAfter = from;
            break;
          }
          const line = matchAt(PEM_END, text, candidate);
          if (line) {
            end = candidate + line.length;
            break;
          }
          from = candidate + 9;
        }
        if (end === -1) {
          // A key pasted without its END line: mask the base64 body that follows.
          end = at + begin.length;
          while (end < text.length && /[A-Za-z0-9+/=\s]/.test(text[end]!)) end++;
        }
        out.push({ type: "private-key", start: at, end });
        SECRET_START.lastIndex = end;
        continue;
      }
      if (at > 0 && isTokenChar(text.charCodeAt(at - 1))) continue;
      let type: SecretType | undefined;
      let token: string | undefined;
      if (literal === "sk-") {
        token = matchAt(OPENAI_KEY, text, at);
        type = token && looksRandom(token.slice(3)) ? "openai-key" : undefined;
      } else if (literal === "AKIA" || literal === "ASIA") {
        token = matchAt(AWS_KEY, text, at);
        type = token ? "aws-key" : undefined;
      } else if (literal.startsWith("gh") || literal === "github_pat_") {
        token = matchAt(GITHUB_TOKEN, text, at);
        type = token ? "github-token" : undefined;
      } else if (literal.startsWith("xox")) {
        token = matchAt(SLACK_TOKEN, text, at);
        type = token && /\d/.test(token) ? "slack-token" : undefined;
      } else if (literal === "eyJ") {
        token = matchAt(JWT, text, at);
        type = token && jwtHeaderValid(token) ? "jwt" : undefined;
      }
      if (type && token && enabled.has(type)) {
        out.push({ type, start: at, end: at + token.length });
        SECRET_START.lastIndex = at + token.length;
      }
    }
  };
}
