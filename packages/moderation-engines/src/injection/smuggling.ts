/**
 * Text hidden from a human reader, found in the ORIGINAL text (normalisation removes most of it):
 *
 * - Unicode tag characters U+E0020–U+E007E, invisible copies of ASCII that models read: decoded to
 *   ASCII. An emoji subdivision flag (🏴 + tag letters + U+E007F, the flags of England, Scotland,
 *   Wales) is their one legitimate use and is left alone.
 * - Runs of variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF), one byte each, after any
 *   character (the "emoji smuggling" trick): decoded as UTF-8. A single selector after a character
 *   (emoji presentation, ideographic variants) is ordinary text; four in a row never are.
 * - Encoded blobs: base64 (standard and URL-safe), hexadecimal (plain, `\xHH`, space-separated
 *   pairs), binary octets, percent-encoding and `\uXXXX` escapes, decoded when the result is
 *   readable text. The caller judges what they decode to.
 *
 * Every scan is linear in the text; decoding is bounded by the limits the caller passes.
 * Platform-neutral.
 */

/** A run of hidden or encoded text: its span in the original text and what it decodes to. */
export interface HiddenText {
  start: number;
  end: number;
  kind: "unicode-tags" | "variation-selectors" | "base64" | "hex" | "binary" | "url-encoding" | "escapes";
  decoded: string;
}

export interface BlobLimits {
  /** Blobs decoded per text at most (the first ones). */
  maxBlobs: number;
  /** Characters of one blob decoded at most (a longer one is decoded from its start). */
  maxBlobChars: number;
}

const TAG_HIGH = 0xdb40;
const BLACK_FLAG_HIGH = 0xd83c;
const BLACK_FLAG_LOW = 0xdff4;

/** Tag characters and variation-selector runs of `text`. */
export function findHiddenCharacters(text: string, maxChars: number): HiddenText[] {
  const found: HiddenText[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Only a tag character or a variation selector starts a run: U+DB40 (their high surrogate) or U+FE00–U+FE0F.
    if (c !== TAG_HIGH && (c < 0xfe00 || c > 0xfe0f)) continue;
    if (c === TAG_HIGH && i + 1 < n) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdc7f) {
        const start = i;
        let decoded = "";
        let letters = true;
        let cancelled = false;
        for (; i + 1 < n && text.charCodeAt(i) === TAG_HIGH; i += 2) {
          const d = text.charCodeAt(i + 1);
          if (d < 0xdc00 || d > 0xdc7f) break;
          const ascii = d - 0xdc00;
          if (ascii === 0x7f) {
            cancelled = true;
            i += 2;
            break;
          }
          if (!((ascii >= 0x61 && ascii <= 0x7a) || (ascii >= 0x30 && ascii <= 0x39))) letters = false;
          if (ascii >= 0x20 && ascii < 0x7f && decoded.length < maxChars) decoded += String.fromCharCode(ascii);
        }
        const end = i;
        i -= 1;
        const flag =
          cancelled &&
          letters &&
          decoded.length >= 2 &&
          decoded.length <= 6 &&
          start >= 2 &&
          text.charCodeAt(start - 2) === BLACK_FLAG_HIGH &&
          text.charCodeAt(start - 1) === BLACK_FLAG_LOW;
        if (!flag && decoded.trim() !== "") found.push({ start, end, kind: "unicode-tags", decoded });
        continue;
      }
    }
    if (isSelectorAt(text, i)) {
      const start = i;
      const bytes: number[] = [];
      let count = 0;
      while (i < n) {
        const size = selectorSize(text, i);
        if (size === 0) break;
        if (bytes.length < maxChars * 4) bytes.push(selectorByte(text, i));
        count++;
        i += size;
      }
      const end = i;
      i -= 1;
      if (count >= 4) {
        const decoded = new TextDecoder("utf-8", { fatal: false }).decode(new Uint8Array(bytes)).slice(0, maxChars);
        found.push({ start, end, kind: "variation-selectors", decoded });
      }
    }
  }
  return found;
}

function isSelectorAt(text: string, i: number): boolean {
  return selectorSize(text, i) > 0;
}

/** 1 or 2 (UTF-16 units) when a variation selector starts at `i`, else 0. */
function selectorSize(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xfe00 && c <= 0xfe0f) return 1;
  if (c === TAG_HIGH && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdd00 && d <= 0xddef) return 2;
  }
  return 0;
}

/** The byte a selector stands for: VS1–VS16 are 0–15, VS17–VS256 are 16–255. */
function selectorByte(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xfe00 && c <= 0xfe0f) return c - 0xfe00;
  return text.charCodeAt(i + 1) - 0xdd00 + 16;
}

const BASE64 = new Int16Array(128).fill(-1);
for (let k = 0; k < 64; k++) {
  BASE64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(k)] = k;
}
BASE64[0x2d] = 62; // `-`, URL-safe
BASE64[0x5f] = 63; // `_`, URL-safe

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const hexValue = (c: number) => (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10);
/** The byte the two hex digits at `i` spell, or -1 when they are not two hex digits. */
function hexByteAt(text: string, i: number): number {
  const high = text.charCodeAt(i);
  const low = text.charCodeAt(i + 1);
  return isHex(high) && isHex(low) ? (hexValue(high) << 4) | hexValue(low) : -1;
}
const isBase64Char = (c: number) => c < 128 && BASE64[c]! >= 0;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Bytes as readable text, or `undefined`: valid UTF-8, at least 90% letters, digits, punctuation
 * and spaces (no control characters but tab and newlines), and at least four letters.
 */
export function readableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let readable = 0;
  let letters = 0;
  let total = 0;
  for (const ch of text) {
    total++;
    const cp = ch.codePointAt(0)!;
    if (cp === 0x09 || cp === 0x0a || cp === 0x0d || (cp >= 0x20 && cp < 0x7f)) {
      readable++;
      if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) letters++;
    } else if (cp >= 0xa0 && cp !== 0xfffd && /[\p{L}\p{N}\p{P}\p{Zs}\p{M}\p{S}]/u.test(ch)) {
      readable++;
      if (/\p{L}/u.test(ch)) letters++;
    }
  }
  return total > 0 && readable / total >= 0.9 && letters >= 4 ? text : undefined;
}

function decodeBase64(text: string, start: number, end: number): Uint8Array {
  const out = new Uint8Array(Math.floor(((end - start) * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    value = (value << 6) | BASE64[text.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/**
 * Encoded blobs of `text` that decode to readable text, in order, at most `limits.maxBlobs`
 * decoded (candidates that do not decode to text count too, so hostile text cannot make this
 * decode without end).
 */
export function findEncodedBlobs(text: string, limits: BlobLimits): HiddenText[] {
  const scan: BlobScan = { found: [], attempts: 0 };
  const n = text.length;
  const maxChars = limits.maxBlobChars;
  for (let i = 0; i < n && scan.attempts < limits.maxBlobs; ) {
    const c = text.charCodeAt(i);
    // `\xHH` or `\uXXXX` escapes, and percent-encoding, both with literal text in between.
    const escaped =
      (c === 0x5c || c === 0x25) && i + 2 < n ? take(scan, i, decodeEscapes(text, i, c === 0x25, maxChars)) : undefined;
    if (escaped !== undefined) {
      i = escaped;
      continue;
    }
    if (!isBase64Char(c)) {
      i++;
      continue;
    }
    // A run of base64 characters (hex and binary digits are among them); it must not be glued to
    // the end of a word of other letters (`ñ…` or a path): the character before is not a letter.
    let end = i + 1;
    while (end < n && isBase64Char(text.charCodeAt(end))) end++;
    const after = text.charCodeAt(end);
    // Most runs are ordinary words: shorter than any blob, and not a hex pair or a binary octet.
    if (end - i < 16 && end - i !== 8 && end - i !== 2 && after !== 0x25 && after !== 0x5c) {
      i = end;
      continue;
    }
    let hex = true;
    let binary = true;
    let upper = false;
    let lower = false;
    for (let k = i; k < end; k++) {
      const d = text.charCodeAt(k);
      if (!isHex(d)) hex = false;
      if (d !== 0x30 && d !== 0x31) binary = false;
      if (d >= 0x41 && d <= 0x5a) upper = true;
      else if (d >= 0x61 && d <= 0x7a) lower = true;
    }
    const length = end - i;
    // A word that goes on with escapes (`Ignore%20all`) is decoded from its start; a binary octet or
    // a hex pair may start a spaced run of them.
    const run =
      ((after === 0x25 || after === 0x5c) && end + 2 < n
        ? take(scan, i, decodeEscapes(text, i, after === 0x25, maxChars))
        : undefined) ??
      (binary && length === 8 ? take(scan, i, binaryOctets(text, i, maxChars), "binary") : undefined) ??
      (hex && length === 2 ? take(scan, i, hexPairs(text, i, maxChars), "hex") : undefined);
    if (run !== undefined) {
      i = run;
      continue;
    }
    if (binary && length >= 32 && length % 8 === 0) {
      const bytes = new Uint8Array(Math.min(length, maxChars) >> 3);
      for (let k = 0; k < bytes.length; k++) bytes[k] = Number.parseInt(text.slice(i + 8 * k, i + 8 * k + 8), 2);
      tryBytes(scan, i, end, "binary", bytes);
    } else if (hex && length >= 16 && length % 2 === 0) {
      const bytes = new Uint8Array(Math.min(length, maxChars) >> 1);
      for (let k = 0; k < bytes.length; k++) {
        bytes[k] = hexByteAt(text, i + 2 * k);
      }
      tryBytes(scan, i, end, "hex", bytes);
    } else if (length >= 16 && upper && lower) {
      let stop = end;
      while (stop < n && stop - end < 2 && text.charCodeAt(stop) === 0x3d) stop++;
      const usable = Math.min(length, maxChars - (maxChars % 4));
      tryBytes(scan, i, stop, "base64", decodeBase64(text, i, i + usable - (usable % 4 === 1 ? 1 : 0)));
      end = stop;
    }
    i = end;
  }
  return scan.found;
}

/** The state of one {@link findEncodedBlobs} scan: what it found, and how many candidates it decoded. */
interface BlobScan {
  found: HiddenText[];
  attempts: number;
}

function tryBytes(scan: BlobScan, start: number, end: number, kind: HiddenText["kind"], bytes: Uint8Array): void {
  scan.attempts++;
  const decoded = readableText(bytes);
  if (decoded !== undefined) scan.found.push({ start, end, kind, decoded });
}

/** Judges a run decoded from `start` (escapes, spaced octets or pairs): its end, or `undefined` when there is none. */
function take(
  scan: BlobScan,
  start: number,
  run: { end: number; bytes: Uint8Array; kind?: HiddenText["kind"] } | undefined,
  kind?: HiddenText["kind"],
): number | undefined {
  if (!run) return undefined;
  tryBytes(scan, start, run.end, run.kind ?? kind!, run.bytes);
  return run.end;
}

/** `01001001 01100111 …`: at least four octets separated by single spaces. */
function binaryOctets(text: string, start: number, maxChars: number): { end: number; bytes: Uint8Array } | undefined {
  const bytes: number[] = [];
  let i = start;
  for (;;) {
    let value = 0;
    for (let k = 0; k < 8; k++) {
      const c = text.charCodeAt(i + k);
      if (c !== 0x30 && c !== 0x31)
        return bytes.length >= 4 ? { end: i - 1, bytes: Uint8Array.from(bytes) } : undefined;
      value = (value << 1) | (c - 0x30);
    }
    const next = text.charCodeAt(i + 8);
    if (isBase64Char(next)) return bytes.length >= 4 ? { end: i - 1, bytes: Uint8Array.from(bytes) } : undefined;
    if (bytes.length < maxChars) bytes.push(value);
    i += 8;
    if (next !== 0x20 || !isBase64Char(text.charCodeAt(i + 1))) break;
    i += 1;
  }
  return bytes.length >= 4 ? { end: i, bytes: Uint8Array.from(bytes) } : undefined;
}

/** `49 67 6e 6f …`: at least eight hex pairs separated by single spaces. */
function hexPairs(text: string, start: number, maxChars: number): { end: number; bytes: Uint8Array } | undefined {
  const bytes: number[] = [];
  let i = start;
  let end = start;
  for (;;) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    if (!isHex(a) || !isHex(b) || isBase64Char(text.charCodeAt(i + 2))) break;
    if (bytes.length < maxChars) bytes.push((hexValue(a) << 4) | hexValue(b));
    end = i + 2;
    if (text.charCodeAt(i + 2) !== 0x20) break;
    i += 3;
  }
  return bytes.length >= 8 ? { end, bytes: Uint8Array.from(bytes) } : undefined;
}

/**
 * A run of `%HH` escapes (percent-encoding) or of `\xHH` and `\uXXXX` escapes starting at
 * `start`, with literal characters between them: no whitespace in percent-encoding (it would be
 * encoded), spaces but no line breaks between backslash escapes. At least four escapes.
 */
function decodeEscapes(
  text: string,
  start: number,
  percent: boolean,
  maxChars: number,
): { end: number; bytes: Uint8Array; kind: HiddenText["kind"] } | undefined {
  const bytes: number[] = [];
  let escapes = 0;
  let i = start;
  const n = text.length;
  while (i < n && bytes.length < maxChars) {
    const c = text.charCodeAt(i);
    // One byte: `%HH` in percent-encoding, `\xHH` otherwise; `digits` is where its two hex digits start.
    let digits = 0;
    if (percent) digits = c === 0x25 && i + 2 < n ? 1 : 0;
    else if (c === 0x5c && (text[i + 1] === "x" || text[i + 1] === "X")) digits = 2;
    const byte = digits > 0 ? hexByteAt(text, i + digits) : -1;
    if (byte >= 0) {
      bytes.push(byte);
      escapes++;
      i += digits + 2;
    } else if (
      !percent &&
      c === 0x5c &&
      text[i + 1] === "u" &&
      i + 5 < n + 0 &&
      [2, 3, 4, 5].every((k) => isHex(text.charCodeAt(i + k)))
    ) {
      const cp = Number.parseInt(text.slice(i + 2, i + 6), 16);
      for (const byte of new TextEncoder().encode(String.fromCharCode(cp))) bytes.push(byte);
      escapes++;
      i += 6;
    } else if (((c > 0x20 && c < 0x7f) || (c === 0x20 && !percent)) && c !== 0x5c && c !== 0x25) {
      bytes.push(c);
      i++;
    } else break;
  }
  if (escapes < 4) return undefined;
  return { end: i, bytes: Uint8Array.from(bytes), kind: percent ? "url-encoding" : "escapes" };
}
