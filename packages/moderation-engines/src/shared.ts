/**
 * What engines and the stream cache need of the store replicas share (SHARED_STATE_URL; the
 * implementation is `@dify-ext/shared-state`, under Node): a key-value store whose every operation
 * is bounded and never fails. Keys never hold end-user text: {@link hashedKey} makes them.
 */
import { createHash } from "node:crypto";
import type { Finding } from "./engine.ts";
import { Interner } from "./text/interner.ts";

/** A key-value store shared by replicas. */
export interface SharedStore {
  /** The values (`undefined` when absent or when the store did not answer in time). Never rejects. */
  get(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Stores a value for `ttlMs` without waiting; failures are the store's to count, never thrown. */
  set(key: string, value: string, ttlMs: number): void;
}

/**
 * A store key for `parts` (which may hold end-user text): `<kind>:` and the SHA-256 of the parts,
 * so the store sees neither the text nor its length, and keys stay short.
 */
export function hashedKey(kind: string, ...parts: readonly string[]): string {
  const hash = createHash("sha256");
  // Each part after its length, so no two lists of parts hash alike.
  for (const part of parts) hash.update(`${part.length}:`, "utf8").update(part, "utf16le");
  return `${kind}:${hash.digest("base64url")}`;
}

/** A short fingerprint of settings (as JSON), for the identity of an engine's states and verdicts. */
export function fingerprint(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value), "utf8").digest("base64url").slice(0, 22);
}

/** Most findings one shared state carries; a judgement with more stays local (the next replica judges whole). */
export const MAX_SHARED_FINDINGS = 4096;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Writes findings compactly for {@link JudgementCodec}: `[format, identity, length, strings,
 * numbers]`, each finding four numbers (start after the previous start, length, its label and its
 * tag as indexes into `strings`). `undefined` past {@link MAX_SHARED_FINDINGS}.
 */
export function encodeFindings<F extends Finding>(
  format: string,
  identity: string,
  length: number,
  found: readonly F[],
  tagOf: (finding: F) => string,
): string | undefined {
  if (found.length > MAX_SHARED_FINDINGS) return undefined;
  const strings = new Interner();
  const ref = (value: string) => strings.id(value);
  const numbers: number[] = [];
  let previous = 0;
  for (const finding of found) {
    numbers.push(finding.start - previous, finding.end - finding.start, ref(finding.label), ref(tagOf(finding)));
    previous = finding.start;
  }
  return JSON.stringify([format, identity, length, strings.values, numbers]);
}

/**
 * Reads what {@link encodeFindings} wrote, only if it has this `format` and `identity` and judged a
 * text of `length` code units, and every finding lies within it in order; otherwise `undefined`.
 */
export function decodeFindings<F>(
  format: string,
  identity: string,
  length: number,
  encoded: string,
  make: (finding: Finding, tag: string) => F,
): F[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(encoded);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data) || data.length !== 5 || data[0] !== format || data[1] !== identity || data[2] !== length) {
    return undefined;
  }
  const strings: unknown = data[3];
  const numbers: unknown = data[4];
  if (!Array.isArray(strings) || !strings.every((value) => typeof value === "string")) return undefined;
  if (!Array.isArray(numbers) || numbers.length % 4 !== 0 || numbers.length > 4 * MAX_SHARED_FINDINGS) return undefined;
  const found: F[] = [];
  let start = 0;
  for (let i = 0; i < numbers.length; i += 4) {
    const [step, span, label, tag] = [numbers[i], numbers[i + 1], numbers[i + 2], numbers[i + 3]];
    if (!isCount(step) || !isCount(span) || span === 0 || !isCount(label) || !isCount(tag)) return undefined;
    if (label >= strings.length || tag >= strings.length) return undefined;
    start += step;
    const end = start + span;
    if (end > length) return undefined;
    found.push(make({ start, end, label: strings[label] as string }, strings[tag] as string));
  }
  return found;
}
