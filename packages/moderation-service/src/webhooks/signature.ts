import { createHmac, timingSafeEqual } from "node:crypto";
import { WEBHOOK_TOLERANCE_SECONDS } from "./settings.ts";

/**
 * The signature header's value for a body sent at `timestamp` (unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, one `v1` per secret (two while a
 * secret is rotated). The scheme of Stripe's webhooks, so receivers may already know it.
 */
export function signatureHeader(body: string, timestamp: number, secrets: readonly string[]): string {
  const signed = `${timestamp}.${body}`;
  const parts = [`t=${timestamp}`];
  for (const secret of secrets) parts.push(`v1=${createHmac("sha256", secret).update(signed).digest("hex")}`);
  return parts.join(",");
}

/**
 * Checks a signature header against the raw body as received, for receivers written in
 * JavaScript (the recipe in docs/policies.md does the same in any language): some `v1` must be the
 * HMAC of `"<t>.<body>"` with `secret`, compared in constant time, and `t` within `toleranceSeconds`
 * of `now` (replays of old events are refused).
 */
export function verifySignature(
  body: string,
  header: string | null | undefined,
  secret: string,
  options: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.split("=", 2);
    if (key?.trim() === "t" && value && /^\d+$/.test(value.trim())) timestamp = Number(value.trim());
    else if (key?.trim() === "v1" && value) signatures.push(value.trim());
  }
  if (timestamp === undefined) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false;
  const expected = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();
  return signatures.some((signature) => {
    const given = Buffer.from(signature, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
