import { describe, expect, it } from "vitest";
import * as checks from "./checks.ts";

describe("the pii engine's checks", () => {
  it("Luhn accepts the test card numbers and rejects a changed digit", () => {
    for (const number of ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"])
      expect(checks.luhnValid(number), number).toBe(true);
    expect(checks.luhnValid("4111111111111112")).toBe(false);
    expect(checks.luhnValid("")).toBe(false);
    expect(checks.luhnValid("41x1")).toBe(false);
  });

  it("knows the issuers' prefixes and lengths", () => {
    expect(checks.cardIssuerPlausible("4111111111111111")).toBe(true);
    expect(checks.cardIssuerPlausible("411111111111111")).toBe(false); // Visa has 13, 16 or 19 digits
    expect(checks.cardIssuerPlausible("2221000000000009")).toBe(true); // Mastercard 2-series
    expect(checks.cardIssuerPlausible("378282246310005")).toBe(true);
    expect(checks.cardIssuerPlausible("9780306406157")).toBe(false); // an ISBN-13
    expect(checks.cardIssuerPlausible("1234567890123452")).toBe(false);
  });

  it("accepts whole numbers, groups of four and the Amex/Diners layouts", () => {
    expect(checks.cardGroupingUsual([16])).toBe(true);
    expect(checks.cardGroupingUsual([4, 4, 4, 4])).toBe(true);
    expect(checks.cardGroupingUsual([4, 4, 4, 4, 3])).toBe(true);
    expect(checks.cardGroupingUsual([4, 6, 5])).toBe(true);
    expect(checks.cardGroupingUsual([3, 1, 2, 6, 1])).toBe(false);
    expect(checks.cardGroupingUsual([4, 4, 8])).toBe(false);
  });

  it("checks a China resident ID's province, birth date and check character", () => {
    expect(checks.cnResidentIdValid("11010519491231002X")).toBe(true);
    expect(checks.cnResidentIdValid("11010519491231002x")).toBe(true);
    expect(checks.cnResidentIdValid("440524198001010013")).toBe(true);
    expect(checks.cnResidentIdValid("110105194912310021")).toBe(false); // check character
    expect(checks.cnResidentIdValid("990105194912310025")).toBe(false); // no province 99
    expect(checks.cnResidentIdValid("110105190002290010")).toBe(false); // 1900 was not a leap year
    expect(checks.cnResidentIdValid("1101051949123100")).toBe(false);
  });

  it("applies the SSA's rules to SSNs", () => {
    expect(checks.usSsnValid("123", "45", "6789")).toBe(true);
    expect(checks.usSsnValid("078", "05", "1120")).toBe(true);
    for (const [area, group, serial] of [
      ["000", "12", "3456"],
      ["666", "12", "3456"],
      ["900", "12", "3456"],
      ["999", "12", "3456"],
      ["123", "00", "4567"],
      ["123", "45", "0000"],
    ] as const)
      expect(checks.usSsnValid(area, group, serial), `${area}-${group}-${serial}`).toBe(false);
  });

  it("validates IPv4 and IPv6 text forms", () => {
    expect(checks.ipv4Valid("192.168.1.10")).toBe(true);
    expect(checks.ipv4Valid("256.1.1.1")).toBe(false);
    expect(checks.ipv4Valid("01.2.3.4")).toBe(false);
    for (const address of [
      "2001:db8::8a2e:370:7334",
      "1:2:3:4:5:6:7:8",
      "fe80::1",
      "::ffff:192.0.2.128",
      "1:2:3:4:5:6:1.2.3.4",
    ])
      expect(checks.ipv6Valid(address), address).toBe(true);
    for (const address of [
      "1:2:3",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::1",
      "::ffff:999.0.2.128",
      "1:2:3:4:5:6:7::8:9",
    ])
      expect(checks.ipv6Valid(address), address).toBe(false);
  });
});
