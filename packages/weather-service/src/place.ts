import { cleanText, compactKey, truncate } from "./text.ts";

/** A geocoding candidate as Open-Meteo returns it (only the fields this app uses). */
export interface GeoPlace {
  id?: number;
  name: string;
  latitude: number;
  longitude: number;
  country?: string;
  country_code?: string;
  admin1?: string;
  admin2?: string;
  admin3?: string;
  admin4?: string;
  timezone?: string;
  population?: number;
}

/** A place as typed by the user, split into the name to search and the hints that disambiguate it. */
export interface PlaceQuery {
  /** Cleaned input, as shown back to the user in failure sentences. */
  text: string;
  /** The part before the first comma: what is sent to the geocoding search. */
  name: string;
  /** Later comma-separated parts ("Texas", "US", "IL"), matched against region and country. */
  hints: string[];
}

/** Longest name sent to the geocoding search; longer input is not a place name. */
export const MAX_PLACE_NAME_LENGTH = 100;
const MAX_HINTS = 3;

/** Split "Paris, Texas, US" into `{ name: "Paris", hints: ["Texas", "US"] }`. */
export function parsePlaceQuery(input: string): PlaceQuery {
  const text = cleanText(input);
  const parts = text
    .split(/[,，、;]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return { text, name: parts[0] ?? "", hints: parts.slice(1, 1 + MAX_HINTS) };
}

// Maps, not plain objects: keys come from user hints and upstream replies, and a plain object
// would answer "constructor" or "__proto__" from its prototype.
const US_STATES = new Map<string, string>(
  Object.entries({
    al: "Alabama",
    ak: "Alaska",
    az: "Arizona",
    ar: "Arkansas",
    ca: "California",
    co: "Colorado",
    ct: "Connecticut",
    de: "Delaware",
    dc: "District of Columbia",
    fl: "Florida",
    ga: "Georgia",
    hi: "Hawaii",
    id: "Idaho",
    il: "Illinois",
    in: "Indiana",
    ia: "Iowa",
    ks: "Kansas",
    ky: "Kentucky",
    la: "Louisiana",
    me: "Maine",
    md: "Maryland",
    ma: "Massachusetts",
    mi: "Michigan",
    mn: "Minnesota",
    ms: "Mississippi",
    mo: "Missouri",
    mt: "Montana",
    ne: "Nebraska",
    nv: "Nevada",
    nh: "New Hampshire",
    nj: "New Jersey",
    nm: "New Mexico",
    ny: "New York",
    nc: "North Carolina",
    nd: "North Dakota",
    oh: "Ohio",
    ok: "Oklahoma",
    or: "Oregon",
    pa: "Pennsylvania",
    pr: "Puerto Rico",
    ri: "Rhode Island",
    sc: "South Carolina",
    sd: "South Dakota",
    tn: "Tennessee",
    tx: "Texas",
    ut: "Utah",
    vt: "Vermont",
    va: "Virginia",
    wa: "Washington",
    wv: "West Virginia",
    wi: "Wisconsin",
    wy: "Wyoming",
  }),
);
const CA_PROVINCES = new Map<string, string>(
  Object.entries({
    ab: "Alberta",
    bc: "British Columbia",
    mb: "Manitoba",
    nb: "New Brunswick",
    nl: "Newfoundland and Labrador",
    ns: "Nova Scotia",
    nt: "Northwest Territories",
    nu: "Nunavut",
    on: "Ontario",
    pe: "Prince Edward Island",
    qc: "Quebec",
    sk: "Saskatchewan",
    yt: "Yukon",
  }),
);
const AU_STATES = new Map<string, string>(
  Object.entries({
    act: "Australian Capital Territory",
    nsw: "New South Wales",
    nt: "Northern Territory",
    qld: "Queensland",
    sa: "South Australia",
    tas: "Tasmania",
    vic: "Victoria",
    wa: "Western Australia",
  }),
);
const REGION_CODES = new Map([
  ["US", US_STATES],
  ["CA", CA_PROVINCES],
  ["AU", AU_STATES],
]);

/** Common country spellings that are neither the ISO code nor Open-Meteo's English name. */
const COUNTRY_ALIASES = new Map<string, string>(
  Object.entries({
    usa: "US",
    unitedstatesofamerica: "US",
    america: "US",
    uk: "GB",
    britain: "GB",
    greatbritain: "GB",
    uae: "AE",
    holland: "NL",
    korea: "KR",
    southkorea: "KR",
  }),
);

// Generic words people add to a region name that Open-Meteo's admin names lack.
const GENERIC_SUFFIX = /\s+(county|parish|province|state|region|prefecture|district|oblast)$/i;

function hintMatches(place: GeoPlace, hint: string): boolean {
  const key = compactKey(hint);
  const bare = compactKey(hint.replace(GENERIC_SUFFIX, ""));
  if (key.length === 0) return false;
  const code = place.country_code?.toUpperCase();
  if (code && (key === code.toLowerCase() || COUNTRY_ALIASES.get(key) === code)) return true;
  const region = code === undefined ? undefined : REGION_CODES.get(code)?.get(key);
  if (region !== undefined && compactKey(region) === compactKey(place.admin1 ?? "")) return true;
  for (const field of [place.country, place.admin1, place.admin2, place.admin3, place.admin4]) {
    if (!field) continue;
    const fieldKey = compactKey(field);
    if (fieldKey.length > 0 && (fieldKey === key || fieldKey === bare)) return true;
  }
  return false;
}

/**
 * Choose among geocoding candidates (already ranked by Open-Meteo by relevance and population).
 * Without hints the first candidate wins. With hints, the candidate matching the most hints wins
 * (ties go to the higher-ranked one); when no candidate matches any hint, there is no match.
 */
export function pickPlace(candidates: readonly GeoPlace[], hints: readonly string[]): GeoPlace | undefined {
  if (hints.length === 0) return candidates[0];
  let best: GeoPlace | undefined;
  let bestScore = 0;
  for (const candidate of candidates) {
    const score = hints.filter((hint) => hintMatches(candidate, hint)).length;
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** "Paris, Île-de-France, France": name, first-level region and country, repeats dropped. */
export function placeLabel(place: GeoPlace): string {
  const parts: string[] = [];
  for (const part of [place.name, place.admin1, place.country ?? place.country_code]) {
    const clean = part ? cleanText(part) : "";
    if (clean && !parts.some((p) => compactKey(p) === compactKey(clean))) parts.push(clean);
  }
  return parts.join(", ");
}

/**
 * The place to look up, from the Dify inputs: the trimmed value of `variable` when it is a
 * non-empty string; otherwise `undefined`. The user's query is deliberately not used as a
 * fallback: a free-text question ("will it rain tomorrow?") is not a place name, and guessing
 * one from it would give confident answers about the wrong place.
 */
export function placeFromInputs(
  inputs: Record<string, unknown> | null | undefined,
  variable: string,
  _query?: string | null,
): string | undefined {
  if (!inputs || typeof inputs !== "object") return undefined;
  const value = Object.hasOwn(inputs, variable) ? inputs[variable] : undefined;
  if (typeof value !== "string") return undefined;
  const text = cleanText(value);
  return text.length > 0 ? text : undefined;
}

/** The answer when no place was given, naming the input variable to set. */
export function missingLocationMessage(variable: string): string {
  return `No location was given: set the '${truncate(cleanText(variable), 60)}' input to a city name.`;
}
