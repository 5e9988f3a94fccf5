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
import { electronicFormatIBAN, getCountrySpecifications, isValidIBAN } from "ibantools";
import { type CountryCode, Metadata, parsePhoneNumberFromString } from "libphonenumber-js/max";
import {
  cardGroupingUsual,
  cardIssuerPlausible,
  cnResidentIdValid,
  ipv4Valid,
  ipv6Valid,
  luhnValid,
  usSsnValid,
} from "./checks.ts";
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

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAsciiAlnum = (c: number) => isDigit(c) || isAsciiLetter(c);

// ---------------------------------------------------------------------------------------------
// E-mail addresses

/** Characters of the local part that mail users actually use (RFC 5322 allows more). */
const isLocalChar = (c: number) => isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number) => isAsciiAlnum(c) || c === 46 || c === 45;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * `local@domain.tld` with an ASCII local part and domain (internationalised addresses are found only
 * in their ASCII form). Each `@` looks at most 64 characters back and 253 forward.
 */
export const findEmails: Detector = (text, out) => {
  let at = text.indexOf("@");
  while (at !== -1) {
    let next = at + 1;
    let start = at;
    const floor = Math.max(0, at - MAX_LOCAL);
    while (start > floor && isLocalChar(text.charCodeAt(start - 1))) start--;
    const tooLong = start === floor && start > 0 && isLocalChar(text.charCodeAt(start - 1));
    while (start < at && text.charCodeAt(start) === 46) start++;
    if (!tooLong && start < at && text.charCodeAt(at - 1) !== 46) {
      let end = at + 1;
      const ceiling = Math.min(text.length, at + 1 + MAX_DOMAIN);
      while (end < ceiling && isDomainChar(text.charCodeAt(end))) end++;
      while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
      const labels = text.slice(at + 1, end).split(".");
      if (
        labels.length >= 2 &&
        labels.every((label) => DOMAIN_LABEL.test(label)) &&
        TOP_LEVEL.test(labels.at(-1)!) &&
        !(end < text.length && isDomainChar(text.charCodeAt(end)) && end === ceiling)
      ) {
        out.push({ type: "email", start, end });
        next = end;
      }
    }
    at = text.indexOf("@", next);
  }
};

// ---------------------------------------------------------------------------------------------
// Numbers written with digits

/** Does the text hold an ASCII digit at all? Most texts without one skip every number detector. */
export const hasDigit = (text: string) => /\d/.test(text);

/** 12–19 digits, possibly joined by single spaces or hyphens, not glued to a letter or digit. */
const CARD_CANDIDATE = /(?<![\dA-Za-z])\d(?:[ -]?\d){11,18}(?![\dA-Za-z])/g;

function cardValid(raw: string): boolean {
  const groups = raw.split(/[ -]/).map((group) => group.length);
  const digits = raw.replace(/[ -]/g, "");
  return cardGroupingUsual(groups) && cardIssuerPlausible(digits) && luhnValid(digits);
}

/**
 * Payment card numbers: 12–19 digits, a usual grouping, a known issuer prefix, Luhn-valid. A number
 * written in groups must be the whole run of groups (a 22-digit tracking number written in fours
 * holds no card), except that a short trailing group (`4111 1111 1111 1111 12/27`) may be dropped.
 */
export const findCards: Detector = (text, out) => {
  for (const match of text.matchAll(CARD_CANDIDATE)) {
    let raw = match[0];
    const start = match.index;
    const separators = new Set(raw.replace(/\d/g, ""));
    if (separators.size > 1) continue;
    const [separator] = separators;
    if (separator !== undefined) {
      const before = text.charCodeAt(start - 1) === separator.charCodeAt(0) && isDigit(text.charCodeAt(start - 2));
      const after =
        text.charCodeAt(start + raw.length) === separator.charCodeAt(0) &&
        isDigit(text.charCodeAt(start + raw.length + 1));
      if (before || after) continue;
    }
    if (!cardValid(raw)) {
      const cut = separator === undefined ? -1 : raw.lastIndexOf(separator);
      if (cut === -1 || raw.length - cut - 1 >= 4) continue;
      raw = raw.slice(0, cut);
      if (!cardValid(raw)) continue;
    }
    out.push({ type: "card", start, end: start + raw.length });
  }
};

const CN_ID_CANDIDATE = /(?<![\dA-Za-z])[1-9]\d{16}[\dXx](?![\dA-Za-z])/g;

/** China resident identity numbers: 18 characters, province code, birth date, MOD 11-2 check. */
export const findCnIds: Detector = (text, out) => {
  for (const match of text.matchAll(CN_ID_CANDIDATE)) {
    if (cnResidentIdValid(match[0])) out.push({ type: "cn-id", start: match.index, end: match.index + 18 });
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
  if (hasDigit(text)) {
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

const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?= ?[A-Za-z0-9])/g;
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
 * IBANs, written whole or in groups separated by single spaces: exactly as many characters as the
 * country's IBAN has, checked by ibantools (country format and MOD 97-10 checksum).
 */
export const findIbans: Detector = (text, out) => {
  IBAN_START.lastIndex = 0;
  for (let match = IBAN_START.exec(text); match !== null; match = IBAN_START.exec(text)) {
    const length = ibanLength(match[0].slice(0, 2));
    if (length === undefined) continue;
    let count = 0;
    let end = match.index;
    while (end < text.length && count < length) {
      const c = text.charCodeAt(end);
      if (isAsciiAlnum(c)) count++;
      else if (!(c === 32 && count > 0 && isAsciiAlnum(text.charCodeAt(end + 1)))) break;
      end++;
    }
    if (count !== length || (end < text.length && isAsciiAlnum(text.charCodeAt(end)))) continue;
    const iban = electronicFormatIBAN(text.slice(match.index, end).toUpperCase());
    if (iban && isValidIBAN(iban)) {
      out.push({ type: "iban", start: match.index, end });
      IBAN_START.lastIndex = end;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Phone numbers (libphonenumber-js)

/**
 * Phone number candidates: a maximal run of digits and the characters numbers are written with,
 * starting with `+`, `(` or a digit. One pass, no backtracking (nothing follows the greedy run).
 */
const PHONE_WINDOW = /[+(]?\d[\d \-.()/\u00a0]*/g;
const MIN_PHONE_DIGITS = 7;
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

/** Is the number at `edge` glued to a word, directly (`A123…`) or through a joiner (`INV-2024-…`)? */
function gluedToWord(text: string, edge: number, direction: 1 | -1): boolean {
  const next = text.charCodeAt(edge + direction);
  if (isAsciiLetter(next)) return true;
  const joiner = next === 45 || next === 95 || next === 47 || next === 46 || next === 35;
  return joiner && isAsciiAlnum(text.charCodeAt(edge + 2 * direction));
}

/**
 * Cuts a candidate run where one number ends and the next begins: at `/`, at two spaces, and at a
 * space before `+` or `(` (`+49 30 901820 / +49 30 901821`). Returns `[start, end)` pairs.
 */
function phonePieces(text: string, start: number, end: number): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 47) {
      pieces.push([from, i]);
      from = i + 1;
    } else if ((c === 43 || c === 40) && i > from && isSpace(text.charCodeAt(i - 1))) {
      pieces.push([from, i]);
      from = i;
    } else if (isSpace(c) && isSpace(text.charCodeAt(i + 1))) {
      pieces.push([from, i]);
      from = i + 1;
    }
  }
  pieces.push([from, end]);
  return pieces;
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
 * plan's possible lengths, one more for a trunk prefix), one with `+` at most 15: a failed parse
 * costs far more than a valid one.
 */
export function phoneDetector(region: CountryCode): Detector {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(region);
  const nationalLengths = new Set(metadata.numberingPlan?.possibleLengths() ?? []);
  const plausible = (digits: number, international: boolean) =>
    international ? digits <= MAX_PHONE_DIGITS : nationalLengths.has(digits) || nationalLengths.has(digits - 1);
  return (text, out, taken) => {
    for (const match of text.matchAll(PHONE_WINDOW)) {
      const windowStart = match.index;
      let windowEnd = windowStart + match[0].length;
      while (!isDigit(text.charCodeAt(windowEnd - 1))) windowEnd--;
      if (gluedToWord(text, windowStart, -1) || gluedToWord(text, windowEnd - 1, 1)) continue;
      for (let [start, end] of phonePieces(text, windowStart, windowEnd)) {
        while (start < end && !isDigit(text.charCodeAt(start)) && text[start] !== "+" && text[start] !== "(") start++;
        while (end > start && !isDigit(text.charCodeAt(end - 1))) end--;
        if (end - start > MAX_PHONE_CHARS) continue;
        let digits = 0;
        let free = 0;
        for (let i = start; i < end; i++) {
          if (!isDigit(text.charCodeAt(i))) continue;
          digits++;
          if (!taken?.[i]) free++;
        }
        if (digits < MIN_PHONE_DIGITS || free === 0 || !plausible(digits, text[start] === "+")) continue;
        const piece = text.slice(start, end);
        if (DATE_LIKE.test(piece) || GROUPED_AMOUNT.test(piece)) continue;
        const phone = parsePhoneNumberFromString(piece, { defaultCountry: region, extract: false });
        if (phone?.isValid()) out.push({ type: "phone", start, end });
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
