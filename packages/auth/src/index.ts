import { createHash, timingSafeEqual } from "node:crypto";

/** Dify refuses API keys shorter than this, so a shorter key could never be registered. */
export const MIN_KEY_LENGTH = 5;

export type AuthFailure = "missing" | "scheme" | "key";

/** `keyIndex` says which configured key matched (for per-key rate limits); never the key itself. */
export type AuthResult = { ok: true; keyIndex: number } | { ok: false; failure: AuthFailure; message: string };

/** Compares two equal-length digests; `timingSafeEqual` unless a test injects a counting one. */
export type DigestComparer = (presented: Uint8Array, expected: Uint8Array) => boolean;

/** Checks an `Authorization` header value against the configured keys. */
export type KeyVerifier = (authorization: string | undefined) => AuthResult;

/** A key list that cannot be used; the message names the problem but never the key. */
export class ApiKeyConfigError extends Error {
  override readonly name = "ApiKeyConfigError";
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Builds a Bearer-token verifier for several valid keys at once (so keys can be rotated without
 * downtime).
 *
 * Constant time by construction: the presented token and every key are reduced to SHA-256 digests
 * of the same 32 bytes, compared with `timingSafeEqual`, and every key is compared on every call
 * (no early exit), so the time spent depends neither on the token's length nor on how many of its
 * leading characters match a key, nor on which key matched.
 */
export function createKeyVerifier(keys: readonly string[], options: { compare?: DigestComparer } = {}): KeyVerifier {
  const compare = options.compare ?? timingSafeEqual;
  if (keys.length === 0) throw new ApiKeyConfigError("no API key configured");
  keys.forEach((key, index) => {
    if (key.length < MIN_KEY_LENGTH) {
      throw new ApiKeyConfigError(
        `API key #${index + 1} is ${key.length} characters long; keys need at least ${MIN_KEY_LENGTH} (Dify refuses shorter ones)`,
      );
    }
    if (/\s/.test(key)) throw new ApiKeyConfigError(`API key #${index + 1} contains whitespace`);
  });
  const digests = keys.map(digest);

  return function verifyBearerKey(authorization) {
    if (authorization === undefined || authorization.trim() === "") {
      return { ok: false, failure: "missing", message: "missing Authorization header; expected 'Bearer <api key>'" };
    }
    const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
    if (!match || match[1]!.toLowerCase() !== "bearer") {
      return { ok: false, failure: "scheme", message: "the Authorization header must use the Bearer scheme: 'Bearer <api key>'" };
    }
    const presented = digest(match[2]!);
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
