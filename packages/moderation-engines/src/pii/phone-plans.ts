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
  typed: Map<number, RegExp | null>;
  /**
   * Every length one of its types allows (`undefined`: some type allows any): a number of another
   * length has no type, found without running a pattern.
   */
  typeLengths: ReadonlySet<number> | undefined;
  /** The national prefix (and carrier code) the library strips, anchored at the start. */
  nationalPrefix: RegExp | undefined;
  transformRule: string | undefined;
  /** An international call prefix (`00`, `011`), anchored at the start. */
  idd: RegExp | undefined;
}

/**
 * Whether libphonenumber-js finds the digits a valid number (`true`, `false`), or `undefined` where
 * this module does not follow the library's reading: then ask the library.
 */
export type PhonePlanCheck = (digits: string, international: boolean) => boolean | undefined;

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
  steps: ReadonlyArray<{ plan: Plan } | { anyLeading: RegExp; plans: readonly Plan[] }>;
  /**
   * Every length a national number of this code can have and be valid, when each of its plans lists
   * types and their lengths (`undefined` otherwise): a number of another length is not valid, in
   * whichever country the library places it.
   */
  lengths: ReadonlySet<number> | undefined;
}

/** A pattern compiled once; `whole` anchors both ends (the library's `matchesEntirely`), otherwise the start. */
function compile(pattern: string, whole: boolean): RegExp {
  const source = whole ? `^(?:${pattern})$` : `^(?:${pattern})`;
  let found = compiled.get(source);
  if (!found) {
    found = new RegExp(source);
    compiled.set(source, found);
  }
  return found;
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
    generalSource: general,
    typed: new Map(),
    lengths: numbering.possibleLengths(),
    leadingDigits: leading ? compile(leading, false) : undefined,
    types,
    typeLengths: types?.every((type) => type.lengths !== undefined)
      ? new Set(types.flatMap((type) => type.lengths!))
      : undefined,
    nationalPrefix: prefix ? compile(prefix, false) : undefined,
    transformRule: numbering.nationalPrefixTransformRule() || undefined,
    idd: idd ? compile(idd, false) : undefined,
  };
  plans.set(key, plan);
  return plan;
}

/** The calling code `digits[0, length)` is, if it is one (`digits` does not start with 0). */
function callingCodeAt(digits: string, length: number): CallingCode | null {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 10 + digits.charCodeAt(i) - 48;
  let known = callingCodes[value];
  if (known === undefined) {
    const code = digits.slice(0, length);
    known = null;
    if (metadata.hasCallingCode(code)) {
      const countries = metadata.getCountryCodesForCallingCode(code);
      const main = planOf(countries?.[0] ?? code);
      const all = countries?.map(planOf) ?? [main];
      const lengths = all.every((plan) => plan.typeLengths !== undefined)
        ? new Set(all.flatMap((plan) => [...plan.typeLengths!]))
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
      const anyLeading = compile(
        group.map((plan) => `(?:${plan.leadingDigits!.source.slice(4, -1)})`).join("|"),
        false,
      );
      steps.push({ anyLeading, plans: group });
    }
  }
  return steps;
}

/** libphonenumber-js `getNumberType(…) !== undefined`: the general pattern and one type's. */
function hasType(plan: Plan, national: string): boolean {
  if (!plan.types || (plan.typeLengths && !plan.typeLengths.has(national.length))) return false;
  let typed = plan.typed.get(national.length);
  if (typed === undefined) {
    // A type counts only for the lengths it allows (libphonenumber-js `isNumberTypeEqualTo`).
    const sources = plan.types
      .filter((type) => !type.lengths || type.lengths.includes(national.length))
      .map((type) => `(?:${type.source})`);
    typed = sources.length === 0 ? null : compile(`(?=(?:${plan.generalSource})$)(?:${sources.join("|")})`, true);
    plan.typed.set(national.length, typed);
  }
  return typed?.test(national) === true;
}

/** libphonenumber-js `isValidNumber`: by type where the plan has types, else by its general pattern. */
const validIn = (plan: Plan, national: string) => (plan.types ? hasType(plan, national) : plan.general.test(national));

/** libphonenumber-js `getCountryByCallingCode`: the plan of the country of the calling code the number is in. */
function countryOf(callingCode: CallingCode, national: string): Plan | undefined {
  const all = callingCode.countries;
  if (!all) return undefined;
  if (all.length === 1) return all[0];
  for (const step of callingCode.steps) {
    if ("plan" in step) {
      if (hasType(step.plan, national)) return step.plan;
    } else if (step.anyLeading.test(national)) {
      for (const plan of step.plans) if (plan.leadingDigits!.test(national)) return plan;
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
 * libphonenumber-js `extractNationalNumber` with `plan` selected: the number without its national
 * prefix (or rewritten by the transform rule) when the result still fits the plan.
 */
function nationalOf(digits: string, plan: Plan, callingCode: CallingCode): string {
  // `test` first: most numbers have no national prefix, and it makes no match object.
  if (!plan.nationalPrefix?.test(digits)) return digits;
  const match = plan.nationalPrefix.exec(digits)!;
  const groups = match.length - 1;
  const captured = groups > 0 && Boolean(match[groups]);
  const stripped =
    plan.transformRule && captured
      ? digits.replace(plan.nationalPrefix!, plan.transformRule)
      : digits.slice(match[0].length);
  if (stripped === digits) return digits;
  if (plan.general.test(digits) && !plan.general.test(stripped)) return digits;
  if (plan.lengths && plan.lengths.length > 0) {
    const lengths = (countryOf(callingCode, stripped) ?? plan).lengths;
    if (impossibleLength(lengths, stripped.length)) return digits;
  }
  return stripped;
}

/** Parse's last steps, with `selected` the plan parse selected: the national number, the country, `isValid()`. */
function decide(digits: string, callingCode: CallingCode, selected: Plan): boolean {
  const national = nationalOf(digits, selected, callingCode);
  if (national.length < MIN_NATIONAL || national.length > MAX_NATIONAL) return false;
  if (callingCode.lengths && !callingCode.lengths.has(national.length)) return false;
  return validIn(countryOf(callingCode, national) ?? selected, national);
}

/**
 * Builds the check for numbers written with `+` (any region) and without (read in `region`). The
 * plans are read and compiled on first use, once for every check: a text of one region's numbers
 * compiles a handful.
 */
export function phonePlanCheck(region: CountryCode): PhonePlanCheck {
  const regionPlan = planOf(region);
  const regionCode = getCountryCallingCode(region);
  const regionCalling = callingCodeAt(regionCode, regionCode.length)!;

  return (digits, international) => {
    if (!international) {
      // An international call prefix, or the region's calling code without `+`: the library may
      // read the number as international first.
      if (regionPlan.idd?.test(digits) || digits.startsWith(regionCode)) return undefined;
      return decide(digits, regionCalling, regionPlan);
    }
    if (digits.charCodeAt(0) === 48) return false;
    for (let length = 1; length <= MAX_CALLING_CODE && length <= digits.length; length++) {
      const callingCode = callingCodeAt(digits, length);
      if (callingCode === null) continue;
      // Calling codes are prefix-free: the first that is one is the number's.
      if (length === digits.length) return false;
      return decide(digits.slice(length), callingCode, callingCode.main);
    }
    return false;
  };
}
