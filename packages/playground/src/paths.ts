/** Where the service serves the playground: the page, its one script and style sheet, and the explain endpoint. */
export const PLAYGROUND_PATHS = {
  html: "/playground",
  script: "/playground/playground.js",
  style: "/playground/playground.css",
  explain: "/api/playground/explain",
} as const;

/**
 * The headers of the page and its assets. The page loads one script and one style sheet from its
 * own origin and talks only to it: no inline code, no other origin, no framing, no referrer.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};
