import { describe, expect, it } from "vitest";
import {
  type GeoPlace,
  missingLocationMessage,
  parsePlaceQuery,
  pickPlace,
  placeFromInputs,
  placeLabel,
} from "./place.ts";

const PARIS_FR: GeoPlace = {
  name: "Paris",
  latitude: 48.85,
  longitude: 2.35,
  country: "France",
  country_code: "FR",
  admin1: "Île-de-France",
  admin2: "Paris",
};
const PARIS_TX: GeoPlace = {
  name: "Paris",
  latitude: 33.66,
  longitude: -95.56,
  country: "United States",
  country_code: "US",
  admin1: "Texas",
  admin2: "Lamar",
};
const PARIS_ON: GeoPlace = {
  name: "Paris",
  latitude: 43.2,
  longitude: -80.38,
  country: "Canada",
  country_code: "CA",
  admin1: "Ontario",
};
const PARIS_TN: GeoPlace = { ...PARIS_TX, latitude: 36.3, admin1: "Tennessee", admin2: "Henry" };
const PARIS_CAL: GeoPlace = { ...PARIS_TX, latitude: 35, admin1: "California", admin2: "Kern" };
const PARISES = [PARIS_FR, PARIS_TX, PARIS_ON, PARIS_TN];

describe("parsePlaceQuery", () => {
  it("splits the name from comma-separated hints", () => {
    expect(parsePlaceQuery("  Paris ,  Texas, US ")).toEqual({
      text: "Paris , Texas, US",
      name: "Paris",
      hints: ["Texas", "US"],
    });
    expect(parsePlaceQuery("Springfield,IL")).toMatchObject({ name: "Springfield", hints: ["IL"] });
    expect(parsePlaceQuery("東京，日本")).toMatchObject({ name: "東京", hints: ["日本"] });
  });

  it("cleans control characters and whitespace", () => {
    expect(parsePlaceQuery("\u202eNew\n\tYork\u0000")).toMatchObject({ text: "New York", name: "New York" });
    expect(parsePlaceQuery(" , ,")).toMatchObject({ name: "", hints: [] });
  });
});

describe("pickPlace", () => {
  it("takes Open-Meteo's first candidate without hints", () => {
    expect(pickPlace(PARISES, [])).toBe(PARIS_FR);
    expect(pickPlace([], [])).toBeUndefined();
  });

  it.each([
    [["Texas"], PARIS_TX],
    [["texas"], PARIS_TX],
    [["TX"], PARIS_TX],
    [["US"], PARIS_TX],
    [["USA"], PARIS_TX],
    [["United States"], PARIS_TX],
    [["Tennessee"], PARIS_TN],
    [["TN", "US"], PARIS_TN],
    [["Henry County"], PARIS_TN],
    [["Ontario"], PARIS_ON],
    [["ON"], PARIS_ON],
    [["Canada"], PARIS_ON],
    [["France"], PARIS_FR],
    [["FR"], PARIS_FR],
    [["Ile de France"], PARIS_FR],
    [["île-de-france"], PARIS_FR],
  ] as const)("uses hints %j", (hints, expected) => {
    expect(pickPlace(PARISES, hints)).toBe(expected);
  });

  it("reads an ambiguous two-letter hint both ways and keeps the ranking", () => {
    // "CA" is Canada's ISO code and California's postal code.
    expect(pickPlace([PARIS_FR, PARIS_ON, PARIS_CAL], ["CA"])).toBe(PARIS_ON);
    expect(pickPlace([PARIS_FR, PARIS_CAL, PARIS_ON], ["CA"])).toBe(PARIS_CAL);
  });

  it("prefers the candidate matching more hints", () => {
    expect(pickPlace(PARISES, ["Tennessee", "US"])).toBe(PARIS_TN);
    expect(pickPlace(PARISES, ["US", "Tennessee"])).toBe(PARIS_TN);
  });

  it("finds nothing when no candidate matches any hint", () => {
    expect(pickPlace(PARISES, ["Narnia"])).toBeUndefined();
    expect(pickPlace(PARISES, ["ZZ"])).toBeUndefined();
  });
});

describe("hints named like Object.prototype members", () => {
  it("match nothing, never throw, and leave the other hints working", () => {
    for (const name of Object.getOwnPropertyNames(Object.prototype)) {
      for (const hint of [name, name.toLowerCase(), name.toUpperCase()]) {
        expect(pickPlace(PARISES, [hint])).toBeUndefined();
        expect(pickPlace(PARISES, [hint, "TX"])).toBe(PARIS_TX);
      }
    }
  });
});

describe("placeLabel", () => {
  it("joins name, region and country without repeats", () => {
    expect(placeLabel(PARIS_FR)).toBe("Paris, Île-de-France, France");
    expect(placeLabel({ name: "Tokyo", latitude: 0, longitude: 0, admin1: "Tokyo", country: "Japan" })).toBe(
      "Tokyo, Japan",
    );
    expect(placeLabel({ name: "Nowhere", latitude: 0, longitude: 0, country_code: "XX" })).toBe("Nowhere, XX");
  });
});

describe("placeFromInputs", () => {
  it("uses a non-empty string input, trimmed", () => {
    expect(placeFromInputs({ location: "  Paris, Texas " }, "location", "")).toBe("Paris, Texas");
    expect(placeFromInputs({ city: "Berlin" }, "city", "weather?")).toBe("Berlin");
  });

  it("gives undefined for missing, blank or non-string values and ignores the query", () => {
    for (const value of [undefined, null, "", "   \n", 42, true, ["Paris"], { name: "Paris" }]) {
      expect(placeFromInputs({ location: value }, "location", "weather in Paris")).toBeUndefined();
    }
    expect(placeFromInputs({}, "location", "Paris")).toBeUndefined();
    expect(placeFromInputs({}, "toString", "")).toBeUndefined();
    expect(placeFromInputs(null, "location", "")).toBeUndefined();
  });
});

describe("missingLocationMessage", () => {
  it("names the variable to set", () => {
    expect(missingLocationMessage("location")).toBe("No location was given: set the 'location' input to a city name.");
    expect(missingLocationMessage("city")).toContain("'city'");
  });
});

describe("cleaning", () => {
  it("replaces lone surrogates so the answer stays valid text", () => {
    expect(parsePlaceQuery("Paris\uD800").text).toBe("Paris\uFFFD");
    expect(parsePlaceQuery("\uD83C\uDF27 Rain").text).toBe("\uD83C\uDF27 Rain");
  });
});
