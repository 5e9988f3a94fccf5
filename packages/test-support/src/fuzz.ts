import { request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import fc from "fast-check";

/** A raw HTTP request the fuzzer sends: anything a client can put on the wire. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  body: string;
}

/** Statuses a hostile request may get: anything else (5xx above all) fails the fuzz run. */
export const ACCEPTABLE_STATUSES = new Set([200, 400, 401, 404, 405, 413, 415, 429]);

/**
 * Sends one request byte for byte (duplicated headers, wrong lengths, any body) on a fresh
 * connection and reads the answer. A reset or a hang rejects.
 */
export function sendRaw(baseUrl: string, raw: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise<RawResponse>((resolve, reject) => {
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: raw.method,
      path: raw.path,
      headers: raw.headers.flat(),
      agent: false,
      timeout: timeoutMs,
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.end(raw.body);
  });
}

const POINTS = ["ping", "app.moderation.input", "app.moderation.output", "app.external_data_tool.query"];

/** Text with every kind of Unicode trouble: lone surrogates, zero-width, RTL, combining marks, emoji. */
export const hostileText = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 200 }),
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.string({ unit: fc.constantFrom("\uD800", "\uDFFF", "\u200B", "\u200D", "\u202E", "\u2066", "\u0301", "\u0336", "😀", "👨‍👩‍👧", "ｆ", "傻", "\u0000", "\uFEFF", "ﬁ"), maxLength: 100 }),
    fc.string({ maxLength: 20 }).map((s) => s.repeat(500)),
    fc.constantFrom("fuck", "ｆｕｃｋ", "傻逼", "f\u200Buck", "VIOLENT", "Paris", "Atlantis", ""),
  );

/** JSON values of any type, including deep nesting and many keys. */
const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse("[".repeat(depth) + "]".repeat(depth))),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(hostileText(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 400 }),
    hostileText(),
  );

/** Params close to valid, with wrong types injected in any field. */
const params = (): fc.Arbitrary<unknown> =>
  fc.record(
    {
      app_id: fc.oneof(fc.string(), anyJson()),
      inputs: fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(hostileText(), anyJson()), { maxKeys: 30 }), anyJson()),
      query: fc.oneof(hostileText(), anyJson(), fc.constant(null)),
      text: fc.oneof(hostileText(), anyJson()),
      tool_variable: fc.oneof(fc.string(), anyJson()),
    },
    { requiredKeys: [] },
  );

const envelope = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record({ point: fc.oneof(fc.constantFrom(...POINTS), fc.string(), anyJson()), params: fc.oneof(params(), anyJson()) }, { requiredKeys: [] }),
    anyJson(),
  );

/** Bodies: valid-looking envelopes, broken JSON, binary junk, huge strings. */
const body = (): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 6, arbitrary: envelope().map((value) => Buffer.from(JSON.stringify(value) ?? "null")) },
    { weight: 2, arbitrary: envelope().map((value) => Buffer.from((JSON.stringify(value) ?? "").slice(0, -1))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "null", "[]", '{"point":"ping"}', "\uFEFF{}", '{"point":"ping","params":{}}'.repeat(3)).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((mb) => Buffer.from(`{"point":"app.moderation.output","params":{"text":"${"x".repeat(mb * 700_000)}"}}`)) },
  );

/** A whole hostile request: body, content type, encoding, auth header variants, duplicates. */
export const hostileRequest = (key: string): fc.Arbitrary<RawRequest> =>
  fc
    .record({
      method: fc.constantFrom("POST", "POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS", "PATCH"),
      path: fc.constantFrom("/api/dify/receive", "/api/dify/receive", "/api/dify/receive", "/api/dify/receive?x=1", "/", "/healthz", "/api/dify/receive/", "/%ff"),
      body: body(),
      contentType: fc.constantFrom<string | undefined>("application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined, "application/json, text/plain"),
      auth: fc.constantFrom<string | undefined>(`Bearer ${key}`, `Bearer ${key}`, `Bearer ${key}`, `bearer ${key}`, "Bearer wrong-key-0000", `Basic ${key}`, "Bearer", "", undefined, `Bearer ${key}x`),
      duplicateAuth: fc.boolean(),
      gzip: fc.boolean(),
      extraHeader: fc.option(fc.tuple(fc.constantFrom("x-request-id", "content-length", "transfer-encoding", "expect", "x-forwarded-for"), fc.string({ maxLength: 300 }))),
    })
    .map(({ method, path, body, contentType, auth, duplicateAuth, gzip, extraHeader }) => {
      const headers: Array<[string, string]> = [];
      if (contentType !== undefined) headers.push(["content-type", contentType]);
      if (auth !== undefined) headers.push(["authorization", auth]);
      if (duplicateAuth) headers.push(["authorization", "Bearer other-key-1234"]);
      let payload = body;
      if (gzip) {
        payload = gzipSync(body);
        headers.push(["content-encoding", "gzip"]);
      }
      if (extraHeader && !["content-length", "transfer-encoding", "expect"].includes(extraHeader[0])) {
        headers.push([extraHeader[0], extraHeader[1].replace(/[^\t\x20-\x7e]/g, "")]);
      }
      return { method, path, headers, body: payload };
    });

export interface FuzzReport {
  runs: number;
  statuses: Record<number, number>;
}

/**
 * Sends `runs` generated hostile requests to a running service and checks every answer's status
 * is one of ACCEPTABLE_STATUSES (never 5xx, never a reset or a hang). Returns the status counts.
 */
export async function fuzzReceiveEndpoint(baseUrl: string, key: string, options: { runs: number; seed?: number }): Promise<FuzzReport> {
  const statuses: Record<number, number> = {};
  await fc.assert(
    fc.asyncProperty(hostileRequest(key), async (raw) => {
      const response = await sendRaw(baseUrl, raw);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (!ACCEPTABLE_STATUSES.has(response.status)) {
        throw new Error(`status ${response.status} for ${raw.method} ${raw.path} (${raw.body.length} bytes): ${response.body.slice(0, 200)}`);
      }
      if (response.status !== 200 && !response.body.startsWith('{"error":{"message":')) {
        throw new Error(`status ${response.status} without the JSON error body: ${response.body.slice(0, 200)}`);
      }
    }),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
  return { runs: options.runs, statuses };
}
