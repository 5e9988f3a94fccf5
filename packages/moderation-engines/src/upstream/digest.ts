/**
 * Cache keys as SHA-256 digests: a verdict cache keyed by digests holds no user text, and each key
 * costs the same 43 characters however long the text (base64url, no padding). Node's `node:crypto`
 * (also in Workers with `nodejs_compat`).
 */
import { createHash } from "node:crypto";

/** The SHA-256 digest of `key` (its UTF-8 bytes), base64url. */
export function digestKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("base64url");
}
