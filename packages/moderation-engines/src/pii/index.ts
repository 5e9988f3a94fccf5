/**
 * Moderation engine that finds personal data and secrets: e-mail addresses, phone numbers
 * (libphonenumber-js), payment cards (Luhn), IBANs (ibantools), IP addresses, China resident IDs
 * and mobile numbers, US SSNs, API keys and tokens, JWTs and PEM private keys. Judging is
 * synchronous, local and linear in the text; findings are UTF-16 spans of the original text, each
 * carrying its type label (`[EMAIL]`) when the mask style is `label`. A streamed answer is judged
 * incrementally (`incremental.ts`): only the text after the last cut is judged again.
 *
 * See docs/engine-pii.md for what it catches and what it misses.
 */
import { type CountryCode, isSupportedCountry } from "libphonenumber-js/max";
import type { Finding, ModerateContext, ModerationEngine, TextVerdict } from "../engine.ts";
import {
  type Detector,
  findCards,
  findCnIds,
  findCnMobiles,
  findEmails,
  findIbans,
  findIps,
  findUsSsns,
  type Hit,
  hasDigit,
  phoneDetector,
  secretDetector,
} from "./detectors.ts";
import { piiIncremental } from "./incremental.ts";
import {
  DEFAULT_PII_MASK_STYLE,
  DEFAULT_PII_PHONE_REGION,
  isPiiType,
  PII_CATEGORIES,
  PII_LABELS,
  PII_MASK_STYLES,
  PII_TYPES,
  type PiiEngineOptions,
  SECRET_TYPES,
  type PiiType,
} from "./types.ts";

export * from "./types.ts";

/** An unusable option, with its name, so the app can name the variable it came from. */
export class PiiOptionError extends Error {
  override readonly name = "PiiOptionError";
  constructor(
    readonly option: keyof PiiEngineOptions,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER_DETECTORS: ReadonlyArray<[PiiType, Detector]> = [
  ["card", findCards],
  ["cn-id", findCnIds],
  ["us-ssn", findUsSsns],
  ["cn-mobile", findCnMobiles],
];
const RANK = Object.fromEntries(PII_TYPES.map((type, index) => [type, index])) as Record<PiiType, number>;

/**
 * Creates the `pii` engine. Throws a {@link PiiOptionError} at construction (never per call) for an
 * unknown type, mask style or phone region, naming it.
 */
export function createPiiEngine(options: PiiEngineOptions = {}): ModerationEngine {
  const types = new Set<PiiType>();
  for (const [index, type] of (options.types ?? PII_TYPES).entries()) {
    if (typeof type !== "string" || !isPiiType(type))
      throw new PiiOptionError(
        "types",
        `unknown type #${index + 1} "${String(type).slice(0, 40)}"; expected any of ${PII_TYPES.join(", ")}`,
      );
    types.add(type);
  }
  if (types.size === 0) throw new PiiOptionError("types", `expected at least one of ${PII_TYPES.join(", ")}`);
  const maskStyle = options.maskStyle ?? DEFAULT_PII_MASK_STYLE;
  if (!PII_MASK_STYLES.includes(maskStyle))
    throw new PiiOptionError("maskStyle", `unknown mask style "${String(maskStyle)}"; expected label or stars`);
  const region = (options.phoneRegion ?? DEFAULT_PII_PHONE_REGION).toUpperCase();
  if (!isSupportedCountry(region))
    throw new PiiOptionError(
      "phoneRegion",
      `unknown phone region "${region.slice(0, 10)}"; expected an ISO 3166-1 alpha-2 code such as US, GB, DE or CN`,
    );

  // Detectors that need no digit run on every text; the others only when the text has one.
  const always: Detector[] = [];
  const withDigits: Detector[] = [];
  const secrets = new Set(SECRET_TYPES.filter((type) => types.has(type)));
  if (secrets.size > 0) always.push(secretDetector(secrets));
  if (types.has("email")) always.push(findEmails);
  if (types.has("iban")) withDigits.push(findIbans);
  for (const [type, detector] of NUMBER_DETECTORS) if (types.has(type)) withDigits.push(detector);
  if (types.has("ip")) withDigits.push(findIps);
  const findPhones = types.has("phone") ? phoneDetector(region as CountryCode) : undefined;

  const judge = (text: string): TextVerdict => {
    if (typeof text !== "string" || text.length === 0) return { flagged: false, findings: [], categories: [] };
    const hits: Hit[] = [];
    for (const detect of always) detect(text, hits);
    const digits = (withDigits.length > 0 || findPhones !== undefined) && hasDigit(text);
    if (digits) for (const detect of withDigits) detect(text, hits);
    if (digits && findPhones) {
      const taken = new Uint8Array(text.length);
      for (const hit of hits) taken.fill(1, hit.start, hit.end);
      findPhones(text, hits, taken);
    }
    if (hits.length === 0) return { flagged: false, findings: [], categories: [] };
    const kept = resolveOverlaps(hits, text.length);
    const categories = new Set<string>();
    const rules = new Set<string>();
    const findings: Finding[] = kept.map((hit) => {
      const category = PII_CATEGORIES[hit.type];
      categories.add(category);
      rules.add(hit.type);
      return maskStyle === "label"
        ? { start: hit.start, end: hit.end, label: hit.type, category, replacement: PII_LABELS[hit.type] }
        : { start: hit.start, end: hit.end, label: hit.type, category };
    });
    return { flagged: true, findings, categories: [...categories], rules: [...rules] };
  };

  return {
    name: "pii",
    moderate(texts: readonly string[], _context: ModerateContext): Promise<TextVerdict[]> {
      return Promise.resolve(texts.map(judge));
    },
    incremental: piiIncremental(judge),
  };
}

/**
 * Keeps one type per character: where findings overlap (a card number a phone pattern also
 * matches, an e-mail address inside a JWT's text), the type earlier in {@link PII_TYPES} wins,
 * then the longer finding, then the earlier. Findings are taken type by type. Each detector reports
 * in text order without overlaps, so each type's findings are merged into the kept ones, in text
 * order; where a type's findings overlap each other (not expected), each kept finding marks its
 * characters instead. Linear in the text either way.
 */
function resolveOverlaps(hits: Hit[], length: number): Hit[] {
  // Already in text order with nothing overlapping (one detector's findings, typically): nothing to resolve.
  let ordered = true;
  for (let i = 1; i < hits.length && ordered; i++) ordered = hits[i - 1]!.end <= hits[i]!.start;
  if (ordered) return hits;
  const byType: Hit[][] = PII_TYPES.map(() => []);
  for (const hit of hits) byType[RANK[hit.type]]!.push(hit);
  const apart = byType.every((ofType) =>
    ofType.every((hit, i) => hit.start < hit.end && (i === 0 || ofType[i - 1]!.end <= hit.start)),
  );
  return apart ? mergeApart(byType) : markCharacters(byType, length);
}

/** {@link resolveOverlaps} for types whose findings are each in text order, apart and not empty. */
function mergeApart(byType: readonly Hit[][]): Hit[] {
  // Kept findings, in text order and apart: the first one ending after a finding's start is the only one it can overlap.
  let kept: Hit[] = [];
  for (const ofType of byType) {
    if (ofType.length === 0) continue;
    const merged: Hit[] = [];
    let k = 0;
    for (const hit of ofType) {
      while (k < kept.length && kept[k]!.end <= hit.start) merged.push(kept[k++]!);
      if (k < kept.length && kept[k]!.start < hit.end) continue;
      merged.push(hit);
    }
    while (k < kept.length) merged.push(kept[k++]!);
    kept = merged;
  }
  return kept;
}

/** {@link resolveOverlaps} in general: a type's findings longest first, each kept one marking its characters. */
function markCharacters(byType: readonly Hit[][], length: number): Hit[] {
  const taken = new Uint8Array(length);
  const kept: Hit[] = [];
  for (const ofType of byType) {
    ofType.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
    for (const hit of ofType) {
      let free = true;
      for (let i = hit.start; i < hit.end; i++) {
        if (taken[i]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      taken.fill(1, hit.start, hit.end);
      kept.push(hit);
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}
