import { propertyRuns, propertySettings, propertyTimeout } from "@dify-ext/test-support/seed";
import fc from "fast-check";
import examples from "libphonenumber-js/examples.mobile.json";
import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  getExampleNumber,
  parsePhoneNumberFromString,
} from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { phonePlanCheck } from "./phone-plans.ts";

/** What the detector asked libphonenumber-js before, exactly as `phoneDetector` asked it. */
const libraryValid = (piece: string, region: CountryCode) =>
  parsePhoneNumberFromString(piece, { defaultCountry: region, extract: false })?.isValid() ?? false;

/** Regions with shared calling codes (US, GB, RU), national prefixes with carrier codes and transform rules (AR, BR, KR, MX). */
const REGIONS: CountryCode[] = ["US", "GB", "DE", "CN", "JP", "FR", "IN", "BR", "AR", "MX", "RU", "IT", "AU", "KR"];
const checks = new Map(REGIONS.map((region) => [region, phonePlanCheck(region)]));
const COUNTRIES = getCountries();

/** Every country's example mobile number, as national digits, with its calling code. */
const EXAMPLES = COUNTRIES.flatMap((country) => {
  const example = getExampleNumber(country, examples);
  return example ? [{ country, callingCode: getCountryCallingCode(country), national: example.nationalNumber }] : [];
});

const RUNS = 4000;

describe("phone validity from the number plans", () => {
  it("agrees with libphonenumber-js on every country's example number, with + in 14 regions and without + in its own", () => {
    expect(EXAMPLES.length).toBeGreaterThan(200);
    for (const { country, callingCode, national } of EXAMPLES) {
      for (const [region, check] of checks) {
        const digits = `${callingCode}${national}`;
        expect(check(digits, true), `+${digits} in ${region}`).toBe(libraryValid(`+${digits}`, region));
      }
      const own = phonePlanCheck(country)(national, false);
      if (own !== undefined) expect(own, `${national} in ${country}`).toBe(libraryValid(national, country));
    }
  });

  it("rules out the numbers of issue 22's run, and keeps valid ones", () => {
    const check = checks.get("US")!;
    expect(libraryValid("+861380013800", "US")).toBe(false);
    expect(check("861380013800", true)).toBe(false);
    // No calling code starts with 0, and 999 is not one.
    expect(check("0441234567", true)).toBe(false);
    expect(check("9991234567", true)).toBe(false);
    expect(check("8613800138000", true)).toBe(true);
    expect(check("442079460958", true)).toBe(true);
    expect(check("4155552671", false)).toBe(true);
    // Written with the international call prefix or the calling code: the library reads it first.
    expect(check("011442079460958", false)).toBeUndefined();
    expect(check("14155552671", false)).toBeUndefined();
  });

  /**
   * Digits the library may or may not accept: a country's example number with digits changed, cut
   * or added, random digits after a calling code, or random digits.
   */
  const candidate = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...EXAMPLES),
        fc.array(fc.tuple(fc.nat(20), fc.integer({ min: 0, max: 9 }), fc.constantFrom("set", "insert", "delete")), {
          maxLength: 3,
        }),
      )
      .map(([{ callingCode, national }, edits]) => {
        let digits = national;
        for (const [at, digit, edit] of edits) {
          const i = at % (digits.length + 1);
          if (edit === "set") digits = digits.slice(0, i) + digit + digits.slice(i + 1);
          else if (edit === "insert") digits = digits.slice(0, i) + digit + digits.slice(i);
          else digits = digits.slice(0, i) + digits.slice(i + 1);
        }
        return { callingCode, national: digits };
      }),
    fc
      .tuple(fc.constantFrom(...COUNTRIES), fc.stringMatching(/^\d{1,15}$/))
      .map(([country, national]) => ({ callingCode: getCountryCallingCode(country), national })),
    fc.stringMatching(/^\d{1,17}$/).map((national) => ({ callingCode: "", national })),
  );

  it(
    `answers as libphonenumber-js does wherever it answers (${propertyRuns(RUNS)} candidates in ${REGIONS.length} regions)`,
    () => {
      fc.assert(
        fc.property(candidate, fc.constantFrom(...REGIONS), fc.boolean(), ({ callingCode, national }, region, plus) => {
          // With `+`, the calling code and the rest; without, the national digits alone (or, for random digits, all).
          const digits = plus || callingCode === "" ? `${callingCode}${national}` : national;
          if (digits.length === 0) return;
          const answer = checks.get(region)!(digits, plus);
          if (answer !== undefined) expect(answer).toBe(libraryValid(plus ? `+${digits}` : digits, region));
        }),
        propertySettings("phone plans check", { runs: RUNS }),
      );
    },
    propertyTimeout(60_000, RUNS),
  );
});
