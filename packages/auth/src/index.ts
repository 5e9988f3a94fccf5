import { timingSafeEqual } from "node:crypto";

/** Dify refuses API keys shorter than this, so a shorter key could never be registered. */
export const MIN_KEY_LENGTH = 5;

/** Longest accepted key, in bytes: every comparison works on buffers of this fixed size. */
export const MAX_KEY_BYTES = 256;

export type AuthFailure = "missing" | "scheme" | "key";

/** `keyIndex` says which configured key matched (for per-key rate limits); never the key itself. */
export type AuthResult = { ok: true; keyIndex: number } | { ok: false; failure: AuthFailure; message: string };

/** Compares two equal-length digests; `timingSafeEqual` unless a test injects a counting one. */
export type DigestComparer = (presented: Uint8Array, expected: Uint8Array) => boolean;

/** Checks an `Authorization` header value against the configured keys. */
export type KeyVerifier = (authorization: string | undefined) => AuthResult;

/**
 * What makes a key unusable, or `undefined` for a good one (never quoting the key): shorter than
 * Dify accepts, containing whitespace, or longer than the fixed comparison block.
 */
export function keyProblem(key: string): string | undefined {
  if (key.length < MIN_KEY_LENGTH) {
    return `is ${key.length} characters long; keys need at least ${MIN_KEY_LENGTH} (Dify refuses shorter ones)`;
  }
  if (/\s/.test(key)) return "contains whitespace";
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

/** A key list that cannot be used; the message names the problem but never the key. */
export class ApiKeyConfigError extends Error {
  override readonly name = "ApiKeyConfigError";
}

/**
 * A key or token as a fixed-size block: its bytes, zero padding, and its length in the last two
 * bytes (so `abc` and `abc\0` differ). Tokens longer than MAX_KEY_BYTES fill the block with their
 * first bytes and get length 0xffff, which no key has, so they never match.
 */
function block(value: string, into: Buffer = Buffer.alloc(MAX_KEY_BYTES + 2)): Buffer {
  into.fill(0);
  const written = into.write(value, 0, MAX_KEY_BYTES, "utf8");
  const length = Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES ? 0xffff : written;
  into.writeUInt16BE(length, MAX_KEY_BYTES);
  return into;
}

/**
 * Builds a Bearer-token verifier for several valid keys at once (so keys can be rotated without
 * downtime).
 *
 * Constant time by construction: the presented token and every key are laid into blocks of the
 * same fixed size (bytes, zero padding, length), compared with `timingSafeEqual`, and every key is
 * compared on every call (no early exit), so the time spent depends neither on the token's length
 * nor on how many of its leading characters match a key, nor on which key matched. (An earlier
 * version hashed both sides with SHA-256; the fixed block gives the same guarantee at a seventh of
 * the cost per call, measured in docs/performance.md.)
 */
export function createKeyVerifier(keys: readonly string[], options: { compare?: DigestComparer } = {}): KeyVerifier {
  const compare = options.compare ?? timingSafeEqual;
  if (keys.length === 0) throw new ApiKeyConfigError("no API key configured");
  keys.forEach((key, index) => {
    const problem = keyProblem(key);
    if (problem) throw new ApiKeyConfigError(`API key #${index + 1} ${problem}`);
  });
  const digests = keys.map((key) => block(key));
  const scratch = Buffer.alloc(MAX_KEY_BYTES + 2);

  return function verifyBearerKey(authorization) {
    if (authorization === undefined || authorization.trim() === "") {
      return { ok: false, failure: "missing", message: "missing Authorization header; expected 'Bearer <api key>'" };
    }
    const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
    if (!match || match[1]!.toLowerCase() !== "bearer") {
      return {
        ok: false,
        failure: "scheme",
        message: "the Authorization header must use the Bearer scheme: 'Bearer <api key>'",
      };
    }
    const presented = block(match[2]!, scratch);
    let matched = 0;
    let keyIndex = -1;
    digests.forEach((expected, index) => {
      const equal = compare(presented, expected) ? 1 : 0;
      matched |= equal;
      keyIndex = equal ? index : keyIndex;
    });
    return matched === 1 ? { ok: true, keyIndex } : { ok: false, failure: "key", message: "invalid API key" };
  };
}

/** Reads a comma-separated key list (as in `API_KEYS=key1,key2`), ignoring blanks around commas. */
export function parseKeyList(value: string): string[] {
  return value
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
}
