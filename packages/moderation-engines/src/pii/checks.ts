/**
 * The checksums and number rules the `pii` engine validates candidates with. Pure functions on
 * digit strings; a candidate that fails is never reported.
 */

/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Whether a digit string has the length and issuer prefix of a payment card of a major network:
 * Visa, Mastercard, American Express, Discover, JCB, UnionPay, Diners Club, Maestro. Numbers whose
 * prefix no network issues (ISBN-13s start with 978/979) are not cards.
 */
export function cardIssuerPlausible(digits: string): boolean {
  return cardIssuerPlausibleByPrefix(digits.length, Number(digits.slice(0, 6).padEnd(6, "0")));
}

/**
 * {@link cardIssuerPlausible} for a number of `n` digits whose first six digits are `prefix6` (as a
 * number; `411111` for `4111 1111 …`), so a caller scanning the digits need not build a string.
 */
export function cardIssuerPlausibleByPrefix(n: number, prefix6: number): boolean {
  const p2 = Math.floor(prefix6 / 10_000);
  const p3 = Math.floor(prefix6 / 1000);
  const p4 = Math.floor(prefix6 / 100);
  const p6 = prefix6;
  if (p2 >= 40 && p2 <= 49) return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 36 || (p3 >= 300 && p3 <= 305) || p2 === 38 || p2 === 39) return n >= 14 && n <= 19; // Diners
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

/** Can a card number start with the digit `c` (a character code)? Every issuer above starts with 2–6. */
export const cardIssuerFirstDigit = (c: number) => c >= 50 && c <= 54;

/**
 * Whether the digit groups of a written card number follow a usual layout: no separators, groups of
 * four (the last may be shorter), or Amex/Diners 4-6-5 and 4-6-4.
 */
export function cardGroupingUsual(groups: readonly number[]): boolean {
  if (groups.length === 1) return true;
  if (groups.length === 3 && groups[0] === 4 && groups[1] === 6 && (groups[2] === 5 || groups[2] === 4)) return true;
  for (let i = 0; i < groups.length - 1; i++) if (groups[i] !== 4) return false;
  const last = groups.at(-1)!;
  return last >= 1 && last <= 4;
}

const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_ID_CHECK = "10X98765432";
/** The first two digits of a mainland resident ID: province-level division codes (GB/T 2260). */
const CN_PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
  64, 65, 71, 81, 82, 83, 91,
]);

/**
 * Checks an 18-character China resident identity number (GB 11643): a province code, a real birth
 * date from 1900 on, and the ISO 7064 MOD 11-2 check character (a digit or `X`).
 */
export function cnResidentIdValid(id: string): boolean {
  if (id.length !== 18) return false;
  if (!CN_PROVINCES.has(Number(id.slice(0, 2)))) return false;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    sum += d * CN_ID_WEIGHTS[i]!;
  }
  return CN_ID_CHECK[sum % 11] === id[17]!.toUpperCase();
}

/**
 * The SSA's rules for a US Social Security number: no area 000, 666 or 900–999, no group 00, no
 * serial 0000. (The SSA assigns numbers at random since 2011, so no further structure is checked.)
 */
export function usSsnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

/**
 * Whether a string is an IPv6 address in the usual text forms (RFC 4291 §2.2): eight groups of one
 * to four hex digits, at most one `::`, optionally ending in a dotted IPv4 address.
 */
export function ipv6Valid(candidate: string): boolean {
  let text = candidate;
  const lastColon = text.lastIndexOf(":");
  if (lastColon === -1) return false;
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    // A trailing IPv4 address stands for the last two groups.
    if (!ipv4Valid(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === "" ? [] : half.split(":")));
  if (!groups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** Whether a string is a dotted-quad IPv4 address without leading zeros. */
export function ipv4Valid(candidate: string): boolean {
  const parts = candidate.split(".");
  return parts.length === 4 && parts.every((part) => /^(?:0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255);
}
