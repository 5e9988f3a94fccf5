/**
 * Phone number validity from libphonenumber-js's number plans, with each pattern compiled once.
 *
 * `parsePhoneNumberFromString(…).isValid()` costs 5–15 µs a candidate: the library builds a new
 * `RegExp` from its metadata for every pattern it tries, on every call. On text that is nothing but
 * `+<digits>` runs (a table, or a hostile paste) that was almost all of the engine's time
 * (docs/performance.md, pii engine). This module reads the same metadata (the library's `Metadata`)
 * and follows the same steps as the library's `parse` and `isValid`, for digits with or without
 * `+`:
 *
 * 1. With `+`: the calling code is the first 1–3 digits that are one (they are prefix-free); none,
 *    or a leading `0`, and the number is not valid. Without `+`: the number is read in the region
 *    (the default country).
 * 2. The national number is the rest, unless the plan's national prefix for parsing matches its
 *    start: then the library may strip it (or rewrite the number with the plan's transform rule),
 *    keeping the stripped form only when it still fits the plan.
 * 3. The country: the only one of the calling code, or the first whose leading digits match, or
 *    whose number types accept the number; else the plan selected before.
 * 4. Valid: the national number has 2–17 digits and matches the country's general pattern and,
 *    where the plan lists number types (fixed line, mobile, toll free…), one type's lengths and
 *    pattern.
 *
 * Where the library would first rewrite the digits in a way not followed here (a number written
 * without `+` but with an international call prefix such as `00` or `011`, or with the region's
 * own calling code), the answer is `undefined`: ask the library. `phone-plans.test.ts` checks that
 * every other answer is the library's, on every region's example numbers and on edited and random
 * digits in fourteen regions.
 */
import { type CountryCode, getCountryCallingCode, Metadata } from "libphonenumber-js/max";

/**
 * The parts of libphonenumber-js's `Metadata` the library's own parsing and validation call (its
 * typings declare only `selectNumberingPlan` and a few getters). The version is pinned, and the
 * tests compare this module's answers with the library's.
 */
interface PlanMetadata {
  selectNumberingPlan(countryOrCallingCode: string): void;
  hasCallingCode(callingCode: string): boolean | undefined;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  numberingPlan?: {
    nationalNumberPattern(): string;
    possibleLengths(): number[] | undefined;
    leadingDigits(): string | undefined;
    nationalPrefixForParsing(): string | undefined;
    nationalPrefixTransformRule(): string | undefined;
    IDDPrefix(): string;
    hasTypes(): boolean;
    type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
  };
}

/** The types `isValid()` accepts a number as (libphonenumber-js `getNumberType`), in its order. */
const NUMBER_TYPES = [
  "FIXED_LINE",
  "MOBILE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
] as const;

/** One number plan, its patterns compiled. */
interface Plan {
  general: RegExp;
  /** The leading digits pattern's source, to join several countries' in one expression. */
  leadingSource: string | undefined;
  /** The plan's possible lengths of a national number, shortest first. */
  lengths: readonly number[] | undefined;
  /** Matches at the start of a national number of this country (to tell countries of one calling code apart). */
  leadingDigits: RegExp | undefined;
  /** The general pattern's source. */
  generalSource: string;
  /** The plan's number types; `undefined` when it lists none (then the general pattern decides validity). */
  types: Array<{ lengths: readonly number[] | undefined; source: string }> | undefined;
  /**
   * By length of the national number: one expression that holds when the general pattern and the
   * pattern of some type allowing that length both match the whole number (`null`: no type allows
   * the length). Built on first use of a length.
   */
  typed: Array<RegExp | null | undefined>;
  /** The digits a valid national number of this plan can start with (a {@link DigitSet}). */
  validFirst: DigitSet;
  /** The digits its national prefix can start with; the leading digits', for {@link CallingCode.steps}. */
  prefixFirst: DigitSet;
  leadingFirst: DigitSet;
  /**
   * Every length one of its types allows (`undefined`: some type allows any): a number of another
   * length has no type, found without running a pattern.
   */
  typeLengths: LengthSet | undefined;
  /** The national prefix (and carrier code) the library strips, anchored at the start. */
  nationalPrefix: RegExp | undefined;
  transformRule: string | undefined;
  /** An international call prefix (`00`, `011`), anchored at the start. */
  idd: RegExp | undefined;
}

/**
 * Whether libphonenumber-js finds the digits a valid number (`true`, `false`), or `undefined` where
 * this module does not follow the library's reading: then ask the library. The digits are
 * `digits[from, to)` (by default the whole string), and `digits[to]` must not be a digit: a number
 * is read where it lies in a longer text, without a copy made of it.
 */
export type PhonePlanCheck = (
  digits: string,
  international: boolean,
  from?: number,
  to?: number,
) => boolean | undefined;

/** The longest calling code (ITU E.164), and the library's bounds on a national number. */
const MAX_CALLING_CODE = 3;
const MIN_NATIONAL = 2;
const MAX_NATIONAL = 17;

/** The number plans, shared by every check (they do not depend on the region): read and compiled on first use. */
const metadata = new Metadata() as unknown as PlanMetadata;
const compiled = new Map<string, RegExp>();
const plans = new Map<string, Plan>();
/** Each calling code, by its value (prefixes never start with 0, so 1–3 digits give distinct values); `null`: none. */
const callingCodes: Array<CallingCode | null | undefined> = [];

/** A calling code's plans: the one the library selects by the code first, then every country's. */
interface CallingCode {
  code: string;
  main: Plan;
  /** Its countries' plans, the main one first; `undefined` for a non-geographic code. */
  countries: readonly Plan[] | undefined;
  /**
   * How `getCountryByCallingCode` tells its countries apart, in their order: a country without
   * leading digits by its types; consecutive countries with leading digits as a group, whose
   * patterns joined in one regular expression rule them all out at once (the 25 countries of +1).
   */
  steps: ReadonlyArray<{ plan: Plan } | { anyLeading: RegExp; anyFirst: DigitSet; plans: readonly Plan[] }>;
  /**
   * Every length a national number of this code can have and be valid, when each of its plans lists
   * types and their lengths (`undefined` otherwise): a number of another length is not valid, in
   * whichever country the library places it.
   */
  lengths: LengthSet | undefined;
}

/** A set of lengths of national numbers, as bits (`1 << length`): the metadata's are at most 17. */
type LengthSet = number;
const lengthSetOf = (lengths: Iterable<number>): LengthSet => {
  let set = 0;
  for (const length of lengths) if (length < 31) set |= 1 << length;
  return set;
};
const hasLength = (set: LengthSet, length: number) => length < 31 && ((set >>> length) & 1) === 1;

/**
 * A pattern compiled once, sticky: tested with {@link matchesAt} where a number starts in a longer
 * string. `whole` also anchors its end (the library's `matchesEntirely`): no digit follows, and the
 * numbers tested end where their digits do. For the same reason an end anchor inside a pattern
 * (some national prefixes for parsing, `([24-9]\d{6})$|0`: the metadata's patterns match digits
 * alone and use `$` only so) becomes "no digit follows".
 */
function compile(pattern: string, whole: boolean): RegExp {
  const inner = pattern.replaceAll("$", "(?!\\d)");
  const source = whole ? `(?:${inner})(?!\\d)` : `(?:${inner})`;
  let found = compiled.get(source);
  if (!found) {
    found = new RegExp(source, "y");
    compiled.set(source, found);
  }
  return found;
}

/**
 * A set of digits as bits (`1 << digit`): the digits a pattern's matches can start with, to rule a
 * number out before its pattern runs.
 */
type DigitSet = number;
const ANY_DIGIT: DigitSet = 0x3ff;
/** Can a match of a pattern whose first digits are `set` start with the character `c`? (A non-digit is not ruled out.) */
const mayStartWith = (set: DigitSet, c: number) => !(c >= 48 && c <= 57) || ((set >>> (c - 48)) & 1) === 1;

/**
 * The digits a match of `pattern` (number plan syntax: digits, `\d`, classes, groups, `|`,
 * quantifiers, `$`) can start with; {@link ANY_DIGIT} for a pattern that can match nothing at all
 * or holds anything else. It may say more digits than the pattern allows, never fewer.
 */
function firstDigits(pattern: string): DigitSet {
  let at = 0;
  /** `[first digits, can be empty]` of the alternatives from `at` to a `)` or the end. */
  const alternatives = (): [DigitSet, boolean] | undefined => {
    let first = 0;
    let empty = false;
    for (;;) {
      const sequence = items();
      if (!sequence) return undefined;
      first |= sequence[0];
      empty ||= sequence[1];
      if (pattern[at] !== "|") return [first, empty];
      at++;
    }
  };
  const items = (): [DigitSet, boolean] | undefined => {
    let first = 0;
    let empty = true;
    while (at < pattern.length && pattern[at] !== "|" && pattern[at] !== ")") {
      const item = atom();
      if (!item) return undefined;
      const min = quantifierMin();
      if (min === undefined) return undefined;
      if (empty) {
        first |= item[0];
        empty = item[1] || min === 0;
      }
    }
    return [first, empty];
  };
  const atom = (): [DigitSet, boolean] | undefined => {
    const c = pattern.charCodeAt(at);
    if (c >= 48 && c <= 57) {
      at++;
      return [1 << (c - 48), false];
    }
    if (pattern.startsWith("\\d", at)) {
      at += 2;
      return [ANY_DIGIT, false];
    }
    if (pattern[at] === "$") {
      at++;
      return [0, true];
    }
    if (pattern[at] === "[") {
      let set = 0;
      for (at++; pattern[at] !== "]"; ) {
        const low = pattern.charCodeAt(at) - 48;
        if (!(low >= 0 && low <= 9)) return undefined;
        let high = low;
        if (pattern[at + 1] === "-") {
          high = pattern.charCodeAt(at + 2) - 48;
          if (!(high >= low && high <= 9)) return undefined;
          at += 2;
        }
        for (let digit = low; digit <= high; digit++) set |= 1 << digit;
        at++;
      }
      at++;
      return [set, false];
    }
    if (pattern[at] === "(") {
      if (pattern.startsWith("(?:", at)) at += 3;
      else if (pattern[at + 1] === "?") return undefined;
      else at++;
      const inner = alternatives();
      if (!inner || pattern[at] !== ")") return undefined;
      at++;
      return inner;
    }
    return undefined;
  };
  /** The least count the quantifier at `at` allows (1 where there is none). */
  const quantifierMin = (): number | undefined => {
    const c = pattern[at];
    if (c === "?" || c === "*") {
      at++;
      return 0;
    }
    if (c === "+") {
      at++;
      return 1;
    }
    if (c !== "{") return 1;
    const close = pattern.indexOf("}", at);
    const bounds = /^(\d+)(?:,\d*)?$/.exec(pattern.slice(at + 1, close));
    if (close === -1 || !bounds) return undefined;
    at = close + 1;
    return Number(bounds[1]);
  };
  const whole = alternatives();
  return whole && at === pattern.length && !whole[1] ? whole[0] : ANY_DIGIT;
}

/** Does `pattern` (from {@link compile}) match `text` at `at`? */
function matchesAt(pattern: RegExp, text: string, at: number): boolean {
  pattern.lastIndex = at;
  return pattern.test(text);
}

/** The plan of a country (`US`) or a non-geographic calling code (`800`). */
function planOf(key: string): Plan {
  let plan = plans.get(key);
  if (plan) return plan;
  metadata.selectNumberingPlan(key);
  const numbering = metadata.numberingPlan!;
  const prefix = numbering.nationalPrefixForParsing();
  const leading = numbering.leadingDigits();
  const idd = numbering.IDDPrefix();
  const types = numbering.hasTypes()
    ? NUMBER_TYPES.flatMap((name) => {
        const type = numbering.type(name);
        const pattern = type?.pattern();
        return type && pattern ? [{ lengths: type.possibleLengths(), source: pattern }] : [];
      })
    : undefined;
  const general = numbering.nationalNumberPattern();
  plan = {
    general: compile(general, true),
    leadingSource: leading || undefined,
    generalSource: general,
    typed: [],
    validFirst:
      firstDigits(general) & (types ? types.reduce((set, type) => set | firstDigits(type.source), 0) : ANY_DIGIT),
    prefixFirst: prefix ? firstDigits(prefix) : ANY_DIGIT,
    leadingFirst: leading ? firstDigits(leading) : ANY_DIGIT,
    lengths: numbering.possibleLengths(),
    leadingDigits: leading ? compile(leading, false) : undefined,
    types,
    typeLengths: types?.every((type) => type.lengths !== undefined)
      ? lengthSetOf(types.flatMap((type) => type.lengths!))
      : undefined,
    nationalPrefix: prefix ? compile(prefix, false) : undefined,
    transformRule: numbering.nationalPrefixTransformRule() || undefined,
    idd: idd ? compile(idd, false) : undefined,
  };
  plans.set(key, plan);
  return plan;
}

/** The calling code `digits[from, from + length)` is, if it is one (`digits[from]` is not 0). */
function callingCodeAt(digits: string, from: number, length: number): CallingCode | null {
  let value = 0;
  for (let i = from; i < from + length; i++) value = value * 10 + digits.charCodeAt(i) - 48;
  let known = callingCodes[value];
  if (known === undefined) {
    const code = digits.slice(from, from + length);
    known = null;
    if (metadata.hasCallingCode(code)) {
      const countries = metadata.getCountryCodesForCallingCode(code);
      const main = planOf(countries?.[0] ?? code);
      const all = countries?.map(planOf) ?? [main];
      const lengths = all.every((plan) => plan.typeLengths !== undefined)
        ? all.reduce((set, plan) => set | plan.typeLengths!, 0)
        : undefined;
      known = { code, main, countries: countries?.map(planOf), steps: stepsOf(all), lengths };
    }
    callingCodes[value] = known;
  }
  return known;
}

/** The steps of {@link CallingCode.steps} for countries' plans in the library's order. */
function stepsOf(plans: readonly Plan[]): CallingCode["steps"] {
  const steps: Array<CallingCode["steps"][number]> = [];
  for (let i = 0; i < plans.length; ) {
    if (!plans[i]!.leadingDigits) steps.push({ plan: plans[i++]! });
    else {
      const group: Plan[] = [];
      while (i < plans.length && plans[i]!.leadingDigits) group.push(plans[i++]!);
      const anyLeading = compile(group.map((plan) => `(?:${plan.leadingSource!})`).join("|"), false);
      steps.push({ anyLeading, anyFirst: group.reduce((set, plan) => set | plan.leadingFirst, 0), plans: group });
    }
  }
  return steps;
}

/**
 * libphonenumber-js `getNumberType(…) !== undefined` for the national number `digits[from, to)`:
 * the general pattern and one type's.
 */
function hasType(plan: Plan, digits: string, from: number, to: number): boolean {
  const length = to - from;
  if (!plan.types || (plan.typeLengths !== undefined && !hasLength(plan.typeLengths, length))) return false;
  if (!mayStartWith(plan.validFirst, digits.charCodeAt(from))) return false;
  let typed = plan.typed[length];
  if (typed === undefined) {
    // A type counts only for the lengths it allows (libphonenumber-js `isNumberTypeEqualTo`).
    const sources = plan.types
      .filter((type) => !type.lengths || type.lengths.includes(length))
      .map((type) => `(?:${type.source})`);
    typed = sources.length === 0 ? null : compile(`(?=(?:${plan.generalSource})(?!\\d))(?:${sources.join("|")})`, true);
    plan.typed[length] = typed;
  }
  return typed !== null && matchesAt(typed, digits, from);
}

/** libphonenumber-js `isValidNumber`: by type where the plan has types, else by its general pattern. */
const validIn = (plan: Plan, digits: string, from: number, to: number) =>
  plan.types
    ? hasType(plan, digits, from, to)
    : mayStartWith(plan.validFirst, digits.charCodeAt(from)) && matchesAt(plan.general, digits, from);

/** libphonenumber-js `getCountryByCallingCode`: the plan of the country of the calling code the number is in. */
function countryOf(callingCode: CallingCode, digits: string, from: number, to: number): Plan | undefined {
  const all = callingCode.countries;
  if (!all) return undefined;
  if (all.length === 1) return all[0];
  for (const step of callingCode.steps) {
    if ("plan" in step) {
      if (hasType(step.plan, digits, from, to)) return step.plan;
    } else if (mayStartWith(step.anyFirst, digits.charCodeAt(from)) && matchesAt(step.anyLeading, digits, from)) {
      for (const plan of step.plans) if (matchesAt(plan.leadingDigits!, digits, from)) return plan;
    }
  }
  return undefined;
}

/** libphonenumber-js `checkNumberLength` is `TOO_SHORT` or `INVALID_LENGTH`. */
const impossibleLength = (lengths: readonly number[] | undefined, length: number) =>
  lengths !== undefined &&
  lengths.length > 0 &&
  (length < lengths[0]! || (length <= lengths.at(-1)! && !lengths.includes(length)));

/**
 * libphonenumber-js `extractNationalNumber` with `plan` selected, for a number that starts with
 * the plan's national prefix: the number without it (or rewritten by the transform rule) when the
 * result still fits the plan.
 */
function nationalOf(digits: string, plan: Plan, callingCode: CallingCode): string {
  const prefix = plan.nationalPrefix!;
  prefix.lastIndex = 0;
  const match = prefix.exec(digits)!;
  const groups = match.length - 1;
  const captured = groups > 0 && Boolean(match[groups]);
  prefix.lastIndex = 0;
  const stripped =
    plan.transformRule && captured ? digits.replace(prefix, plan.transformRule) : digits.slice(match[0].length);
  if (stripped === digits) return digits;
  if (matchesAt(plan.general, digits, 0) && !matchesAt(plan.general, stripped, 0)) return digits;
  if (plan.lengths && plan.lengths.length > 0) {
    const lengths = (countryOf(callingCode, stripped, 0, stripped.length) ?? plan).lengths;
    if (impossibleLength(lengths, stripped.length)) return digits;
  }
  return stripped;
}

/**
 * Parse's last steps for the number `digits[from, to)`, with `selected` the plan parse selected:
 * the national number, the country, `isValid()`. Only a number with a national prefix is copied.
 */
function decide(digits: string, from: number, to: number, callingCode: CallingCode, selected: Plan): boolean {
  if (
    selected.nationalPrefix &&
    mayStartWith(selected.prefixFirst, digits.charCodeAt(from)) &&
    matchesAt(selected.nationalPrefix, digits, from)
  ) {
    const national = nationalOf(digits.slice(from, to), selected, callingCode);
    return decideNational(national, 0, national.length, callingCode, selected);
  }
  return decideNational(digits, from, to, callingCode, selected);
}

/** {@link decide} once the national number is `digits[from, to)`. */
function decideNational(digits: string, from: number, to: number, callingCode: CallingCode, selected: Plan): boolean {
  const length = to - from;
  if (length < MIN_NATIONAL || length > MAX_NATIONAL) return false;
  if (callingCode.lengths !== undefined && !hasLength(callingCode.lengths, length)) return false;
  return validIn(countryOf(callingCode, digits, from, to) ?? selected, digits, from, to);
}

/**
 * Builds the check for numbers written with `+` (any region) and without (read in `region`). The
 * plans are read and compiled on first use, once for every check: a text of one region's numbers
 * compiles a handful.
 */
export function phonePlanCheck(region: CountryCode): PhonePlanCheck {
  const regionPlan = planOf(region);
  const regionCode = getCountryCallingCode(region);
  const regionCalling = callingCodeAt(regionCode, 0, regionCode.length)!;

  return (digits, international, from = 0, to = digits.length) => {
    if (!international) {
      // An international call prefix, or the region's calling code without `+`: the library may
      // read the number as international first.
      if ((regionPlan.idd && matchesAt(regionPlan.idd, digits, from)) || digits.startsWith(regionCode, from))
        return undefined;
      return decide(digits, from, to, regionCalling, regionPlan);
    }
    if (digits.charCodeAt(from) === 48) return false;
    for (let length = 1; length <= MAX_CALLING_CODE && length <= to - from; length++) {
      const callingCode = callingCodeAt(digits, from, length);
      if (callingCode === null) continue;
      // Calling codes are prefix-free: the first that is one is the number's.
      if (length === to - from) return false;
      return decide(digits, from + length, to, callingCode, callingCode.main);
    }
    return false;
  };
}
