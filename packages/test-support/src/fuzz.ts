import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { propertySettings } from "./seed.ts";

/** A raw HTTP request the fuzzer sends: anything a client can put on the wire. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Statuses a hostile request may get: anything else (5xx above all) fails the fuzz run. 431 is
 * Node's answer to oversized headers (as JSON, from the server's `clientError` handler).
 */
export const ACCEPTABLE_STATUSES = new Set([200, 400, 401, 404, 405, 413, 415, 429, 431]);

/**
 * Sends one request (duplicated headers, any body) through `node:http` on a fresh connection and
 * reads the answer. A reset or a hang rejects.
 */
export function sendRaw(baseUrl: string, raw: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  // Node's client sends a DELETE, GET or OPTIONS body without Content-Length (framed by the close of
  // the connection, which a request cannot be): the server then parses the body as a second request
  // and answers 400. Framing is the wire generator's business; here every body is framed.
  const framed = raw.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  const headers =
    framed || raw.body.length === 0 ? raw.headers : [...raw.headers, ["content-length", String(raw.body.length)]];
  return new Promise<RawResponse>((resolve, reject) => {
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: raw.method,
      path: raw.path,
      headers: headers.flat(),
      agent: false,
      timeout: timeoutMs,
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
      });
      response.on("error", reject);
    });
    request.end(raw.body);
  });
}

/**
 * Writes `bytes` verbatim on a fresh TCP connection (what `node:http` refuses to produce: duplicate
 * `Content-Length`, no `Host`, broken request lines, bad chunk sizes) and parses the first
 * non-1xx answer. A reset, a close without an answer, or a hang rejects.
 */
export function sendBytes(baseUrl: string, bytes: Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise<RawResponse>((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | undefined, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(response!);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const tryParse = (ended: boolean) => {
      for (;;) {
        const headEnd = received.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const head = received.subarray(0, headEnd).toString("latin1").split("\r\n");
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1] ?? Number.NaN);
        if (!Number.isInteger(status)) return finish(new Error(`not an HTTP answer: ${JSON.stringify(head[0])}`));
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const colon = line.indexOf(":");
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const rest = received.subarray(headEnd + 4);
        if (status >= 100 && status < 200) {
          received = rest;
          continue;
        }
        const length = headers["content-length"];
        if (length !== undefined) {
          if (rest.length < Number(length)) return;
          return finish(undefined, { status, headers, body: rest.subarray(0, Number(length)).toString("utf8") });
        }
        if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
          const body = decodeChunked(rest);
          if (body) return finish(undefined, { status, headers, body: body.toString("utf8") });
          return;
        }
        if (ended) return finish(undefined, { status, headers, body: rest.toString("utf8") });
        return;
      }
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on("end", () => {
      tryParse(true);
      finish(new Error(`connection closed without a complete answer (${received.length} bytes received)`));
    });
    socket.on("error", (error) => finish(error));
    socket.write(bytes);
  });
}

/** The body of a complete chunked message, or undefined while it is incomplete. */
function decodeChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

const POINTS = ["ping", "app.moderation.input", "app.moderation.output", "app.external_data_tool.query"];

/**
 * Names of `Object.prototype` members (`__proto__`, `constructor`, `toString`, ...): strings that
 * naive object handling gets wrong (a lookup in a plain object finds the inherited member), so the
 * fuzz sends them on purpose in every string position: point, names and values of inputs, query,
 * text, tool variable, app id, location.
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

const prototypeName = (): fc.Arbitrary<string> => fc.constantFrom(...PROTOTYPE_NAMES);

/** Object keys: short strings, and the names of `Object.prototype` members. */
const objectKey = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength }) }, { weight: 1, arbitrary: prototypeName() });

/** Text with every kind of Unicode trouble: lone surrogates, zero-width, RTL, combining marks, emoji. */
const unicodeTrouble = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 200 }),
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.string({
      unit: fc.constantFrom(
        "\uD800",
        "\uDFFF",
        "\u200B",
        "\u200D",
        "\u202E",
        "\u2066",
        "\u0301",
        "\u0336",
        "😀",
        "👨‍👩‍👧",
        "ｆ",
        "傻",
        "\u0000",
        "\uFEFF",
        "ﬁ",
        "\u00AD",
        "\u180E",
        "\uFFFD",
        "\uFFFF",
        "\uDBFF\uDFFF",
        "İ",
        "ß",
        "\u0130",
        "\r\n",
        "\t",
        " ",
        "*",
      ),
      maxLength: 100,
    }),
    fc.string({ maxLength: 20 }).map((s) => s.repeat(500)),
    fc.constantFrom(
      "fuck",
      "ｆｕｃｋ",
      "傻逼",
      "f\u200Buck",
      "FUCK\u0301",
      "b1tch",
      "sh!t",
      "VIOLENT",
      "HATEFUL",
      "Paris",
      "Paris, Texas",
      "Springfield, IL",
      "Atlantis",
      "",
      " ",
      "fuck".repeat(10_000),
      "😀".repeat(50_000),
    ),
  );

/** Any text a client may send: Unicode trouble, and now and then the name of an `Object.prototype` member. */
export const hostileText = (): fc.Arbitrary<string> =>
  fc.oneof({ weight: 10, arbitrary: unicodeTrouble() }, { weight: 1, arbitrary: prototypeName() });

/** JSON values of any type, including deep nesting and many keys. */
const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse("[".repeat(depth) + "]".repeat(depth))),
    fc.dictionary(objectKey(8), fc.oneof(hostileText(), fc.integer(), fc.boolean(), fc.constant(null)), {
      maxKeys: 400,
    }),
    hostileText(),
  );

/** Params close to valid, with wrong types injected in any field. */
const params = (): fc.Arbitrary<unknown> =>
  fc.record(
    {
      app_id: fc.oneof(fc.string(), prototypeName(), anyJson()),
      inputs: fc.oneof(fc.dictionary(objectKey(12), fc.oneof(hostileText(), anyJson()), { maxKeys: 30 }), anyJson()),
      query: fc.oneof(hostileText(), anyJson(), fc.constant(null)),
      text: fc.oneof(hostileText(), anyJson()),
      tool_variable: fc.oneof(fc.string(), prototypeName(), anyJson()),
    },
    { requiredKeys: [] },
  );

const envelope = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record(
      {
        point: fc.oneof(fc.constantFrom(...POINTS), fc.string(), prototypeName(), anyJson()),
        params: fc.oneof(params(), anyJson()),
      },
      { requiredKeys: [] },
    ),
    anyJson(),
  );

// Number literals JSON.stringify cannot write (1e400 parses to Infinity, long integers lose
// precision): a placeholder string in the value, replaced by the literal in the serialised body.
const RAW_NUMBER = "\u0001raw-number:";
const RAW_NUMBER_PATTERN = /"\\u0001raw-number:([^"]*)"/g;
const rawNumber = (): fc.Arbitrary<string> =>
  fc
    .constantFrom(
      "1e400",
      "-1e400",
      "123456789012345678901234567890",
      "-0",
      "0.0000000000000000000000001",
      "1E+2",
      "9007199254740993",
      "5e-324",
    )
    .map((literal) => `${RAW_NUMBER}${literal}`);

/** Serialises a generated value, turning raw-number placeholders into their literals. */
function serialise(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(RAW_NUMBER_PATTERN, "$1");
}

/** A Dify file variable, as Dify sends file inputs. */
const fileVariable = (): fc.Arbitrary<unknown> =>
  fc.record({
    dify_model_identity: fc.constant("__dify__file__"),
    type: fc.constantFrom("image", "document", "audio"),
    transfer_method: fc.constantFrom("remote_url", "local_file"),
    remote_url: fc.oneof(fc.webUrl(), hostileText()),
    filename: hostileText(),
    size: fc.oneof(fc.nat(), rawNumber()),
  });

/** Nested lists and objects around a value, `depth` levels deep (around and beyond MAX_DEPTH). */
const nested = (): fc.Arbitrary<unknown> =>
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean(), hostileText()).map(([depth, objects, leaf]) => {
    let value: unknown = leaf;
    for (let i = 0; i < depth; i++) value = objects ? { k: value, n: i } : [value, i];
    return value;
  });

/** The value of one input variable: text mostly, and everything else Dify or a client may send. */
const inputValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: hostileText() },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), rawNumber()) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(hostileText(), fc.integer(), fc.constant(null), fileVariable()), { maxLength: 20 }),
    },
    { weight: 1, arbitrary: fileVariable() },
    { weight: 1, arbitrary: nested() },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

/** Input variable names: any string, and a few odd ones. */
const inputName = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 16 }) },
    { weight: 1, arbitrary: fc.constantFrom("prototype", "", "😀", "a.b", "location", "query", "0", "-1", "length") },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  );

/**
 * Places built around `Object.prototype` member names, as a city, a region or a country:
 * "constructor", "Paris, constructor", "__proto__, FR", "Springfield, toString, Texas".
 */
const prototypePlace = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom("", "Paris, ", "Springfield, "), prototypeName(), fc.constantFrom("", ", FR", ", Texas"))
    .map(([before, name, after]) => `${before}${name}${after}`);

/** Inputs: a few, many (around and beyond MAX_INPUTS), or huge values. */
const inputs = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(inputName(), inputValue(), { maxKeys: 12 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 200, max: 400 })
        .map((count) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, `value ${i}`]))),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 250_000, max: 270_000 })
        .map((length) => ({ long: "a".repeat(length), other: "shit" })),
    },
    { weight: 1, arbitrary: fc.constant({ huge: "x".repeat(1_100_000) }) },
  );

/**
 * Valid envelopes for the given points whose params have the right shape but hostile content
 * (any Unicode, huge texts, many inputs, deep nesting, odd numbers, special names), or one field
 * of the wrong type.
 */
const contentEnvelope = (points: readonly string[]): fc.Arbitrary<string> =>
  fc
    .record({
      // Mostly the points that reach a handler; ping is answered before any handler runs. Now and
      // then a point named like an Object.prototype member, which no handler table may resolve.
      point: fc.oneof(
        {
          weight: 18,
          arbitrary: points.some((point) => point !== "ping")
            ? fc.constantFrom(...points.filter((point) => point !== "ping"))
            : fc.constantFrom(...points),
        },
        { weight: 2, arbitrary: fc.constant("ping") },
        { weight: 1, arbitrary: prototypeName() },
      ),
      appId: fc.oneof(fc.uuid(), hostileText()),
      inputs: inputs(),
      query: fc.oneof({ weight: 8, arbitrary: hostileText() }, { weight: 1, arbitrary: fc.constant(null) }),
      text: hostileText(),
      toolVariable: fc.oneof(fc.constant("weather"), hostileText()),
      // The weather tool reads the place from `inputs.location`: give one often, so lookups run.
      location: fc.option(
        fc.oneof(
          hostileText(),
          prototypePlace(),
          fc.constantFrom("Paris", "Paris, TX", "London, Canada", "São Paulo", "Springfield, IL", "Reykjavik"),
        ),
        { freq: 2 },
      ),
      wrongField: fc.option(fc.constantFrom("app_id", "inputs", "query", "text", "tool_variable", "params"), {
        freq: 4,
      }),
      wrongValue: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.constant({}),
        fc.string(),
        rawNumber(),
      ),
      extra: fc.option(fc.dictionary(objectKey(10), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), { freq: 5 }),
    })
    .map(({ point, appId, inputs: generated, query, text, toolVariable, location, wrongField, wrongValue, extra }) => {
      const inputs =
        location !== null && typeof generated === "object" && generated !== null
          ? { ...generated, location }
          : generated;
      let params: Record<string, unknown> =
        point === "ping"
          ? {}
          : point === "app.moderation.output"
            ? { app_id: appId, text }
            : point === "app.moderation.input"
              ? { app_id: appId, inputs, query }
              : { app_id: appId, tool_variable: toolVariable, inputs, query };
      if (extra) params = { ...extra, ...params };
      const body: Record<string, unknown> = { point, params };
      if (wrongField === "params") body.params = wrongValue;
      else if (wrongField) params[wrongField] = wrongValue;
      return serialise(body);
    });

/** Bodies: valid-looking envelopes, broken JSON, binary junk, huge strings. */
const body = (): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 6, arbitrary: envelope().map((value) => Buffer.from(JSON.stringify(value) ?? "null")) },
    { weight: 2, arbitrary: envelope().map((value) => Buffer.from((JSON.stringify(value) ?? "").slice(0, -1))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          "",
          "{",
          "null",
          "[]",
          '{"point":"ping"}',
          "\uFEFF{}",
          '{"point":"ping","params":{}}'.repeat(3),
          '{"point":"ping","point":"app.moderation.input","params":{}}',
          '{"point":"app.moderation.input","params":{"inputs":{"__proto__":{"x":1}},"query":"hi"}}',
          '{"point":"app.moderation.input","params":{"query":"\\ud800 lone","inputs":{}}}',
          '{"point":"app.moderation.input","params":{"query":1e999}}',
          '{"point":"app.moderation.output","params":{"text":"\\u0000"}}',
          "{\"point\":'ping'}",
          '{"point":"ping",}',
          "NaN",
        )
        .map((s) => Buffer.from(s)),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 3 })
        .map((mb) => Buffer.from(`{"point":"app.moderation.output","params":{"text":"${"x".repeat(mb * 700_000)}"}}`)),
    },
  );

/**
 * A request with hostile transport: any method and path, body, content type, encoding,
 * Authorization variant, duplicated headers.
 */
export const hostileRequest = (key: string): fc.Arbitrary<RawRequest> =>
  fc
    .record({
      method: fc.constantFrom("POST", "POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS", "PATCH"),
      path: fc.constantFrom(
        "/api/dify/receive",
        "/api/dify/receive",
        "/api/dify/receive",
        "/api/dify/receive?x=1",
        "/",
        "/healthz",
        "/api/dify/receive/",
        "/%ff",
      ),
      body: body(),
      contentType: fc.constantFrom<string | undefined>(
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        undefined,
        "application/json, text/plain",
        "application/vnd.api+json",
        "APPLICATION/JSON; charset=latin1",
      ),
      auth: fc.constantFrom<string | undefined>(
        `Bearer ${key}`,
        `Bearer ${key}`,
        `Bearer ${key}`,
        `bearer ${key}`,
        "Bearer wrong-key-0000",
        `Basic ${key}`,
        "Bearer",
        "",
        undefined,
        `Bearer ${key}x`,
        `Bearer  ${key} `,
        `Bearer ${key.slice(0, -1)}`,
      ),
      duplicateAuth: fc.boolean(),
      duplicateContentType: fc.boolean(),
      encoding: fc.constantFrom<string | undefined>(
        undefined,
        undefined,
        "gzip",
        "gzip",
        "deflate",
        "br",
        "identity",
        "gzip, gzip",
      ),
      extraHeader: fc.option(
        fc.tuple(
          fc.constantFrom("x-request-id", "content-length", "transfer-encoding", "expect", "x-forwarded-for"),
          fc.string({ maxLength: 300 }),
        ),
      ),
    })
    .map(({ method, path, body, contentType, auth, duplicateAuth, duplicateContentType, encoding, extraHeader }) => {
      const headers: Array<[string, string]> = [];
      if (contentType !== undefined) headers.push(["content-type", contentType]);
      if (duplicateContentType) headers.push(["content-type", "application/json"]);
      if (auth !== undefined) headers.push(["authorization", auth]);
      if (duplicateAuth) headers.push(["authorization", "Bearer other-key-1234"]);
      let payload = body;
      if (encoding !== undefined) {
        // Only gzip is really compressed; the other names label a plain body, as a broken client would.
        if (encoding === "gzip") payload = gzipSync(body);
        headers.push(["content-encoding", encoding]);
      }
      if (extraHeader && !["content-length", "transfer-encoding", "expect"].includes(extraHeader[0])) {
        headers.push([extraHeader[0], extraHeader[1].replace(/[^\t\x20-\x7e]/g, "")]);
      }
      return { method, path, headers, body: payload };
    });

/** A request as Dify sends it (right method, path, type and key) with this JSON body. */
const difyRequest = (key: string, json: string): RawRequest => ({
  method: "POST",
  path: "/api/dify/receive",
  headers: [
    ["content-type", "application/json"],
    ["authorization", `Bearer ${key}`],
    ["user-agent", "python-httpx/0.27.0"],
    ["accept-encoding", "gzip, deflate"],
  ],
  body: Buffer.from(json),
});

/** A well-formed request (right method, path, type and key) whose JSON has hostile content. */
export const hostileContentRequest = (key: string, points: readonly string[] = POINTS): fc.Arbitrary<RawRequest> =>
  contentEnvelope(points).map((json) => difyRequest(key, json));

/**
 * Requests written byte for byte: missing `Host`, duplicate or conflicting `Content-Length`,
 * `Transfer-Encoding` with and without valid chunks, HTTP/1.0, `Expect: 100-continue`, absolute
 * URLs, malformed request and header lines, oversized headers.
 */
export const hostileWireRequest = (key: string): fc.Arbitrary<Buffer> =>
  fc
    .record({
      requestLine: fc.constantFrom(
        "POST /api/dify/receive HTTP/1.1",
        "POST /api/dify/receive HTTP/1.1",
        "POST /api/dify/receive HTTP/1.1",
        "POST /api/dify/receive HTTP/1.0",
        "POST http://127.0.0.1/api/dify/receive HTTP/1.1",
        "post /api/dify/receive HTTP/1.1",
        "POST /api/dify/receive HTTP/2.0",
        "POST /api/dify/receive",
        "POST  /api/dify/receive HTTP/1.1",
        "POST /api/dify/\u0000receive HTTP/1.1",
        "GARBAGE",
      ),
      host: fc.constantFrom<string | undefined>("127.0.0.1", "127.0.0.1", undefined, "", "a b"),
      framing: fc.constantFrom(
        "length",
        "length",
        "length",
        "duplicate-length",
        "conflicting-length",
        "length-and-chunked",
        "chunked",
        "chunked-bad-size",
        "negative-length",
        "none",
      ),
      duplicateAuth: fc.constantFrom<string | undefined>(
        undefined,
        undefined,
        `Bearer ${key}`,
        "Bearer other-key-1234",
      ),
      expectContinue: fc.boolean(),
      oddHeader: fc.constantFrom<string | undefined>(
        undefined,
        undefined,
        undefined,
        "X-Folded: a\r\n  continued",
        "Bad Header: x",
        "X-Nul: a\u0000b",
        `X-Huge: ${"h".repeat(20_000)}`,
        "X-Empty:",
        ": no-name",
        "X-Utf8: ünïcödé",
      ),
      body: fc.oneof(
        fc.constant('{"point":"ping","params":{}}'),
        fc.constant(
          '{"point":"app.moderation.input","params":{"app_id":"a","inputs":{"t":"a shit day","n":1},"query":"hi"}}',
        ),
        fc.constant('{"point":"app.moderation.output","params":{"app_id":"a","text":"VIOLENT Paris"}}'),
        fc.constant(
          '{"point":"app.external_data_tool.query","params":{"app_id":"a","tool_variable":"weather","inputs":{"location":"Paris"},"query":""}}',
        ),
        hostileText().map((text) => serialise({ point: "app.moderation.output", params: { text } })),
      ),
      lineEnding: fc.constantFrom("\r\n", "\r\n", "\r\n", "\n"),
    })
    .map(({ requestLine, host, framing, duplicateAuth, expectContinue, oddHeader, body, lineEnding }) => {
      const payload = Buffer.from(body, "utf8");
      const lines: string[] = [requestLine];
      if (host !== undefined) lines.push(`Host: ${host}`);
      lines.push("Content-Type: application/json", `Authorization: Bearer ${key}`, "Connection: close");
      if (duplicateAuth !== undefined) lines.push(`Authorization: ${duplicateAuth}`);
      if (expectContinue) lines.push("Expect: 100-continue");
      if (oddHeader !== undefined) lines.push(oddHeader);
      let encoded: Buffer = payload;
      switch (framing) {
        case "length":
          lines.push(`Content-Length: ${payload.length}`);
          break;
        case "duplicate-length":
          lines.push(`Content-Length: ${payload.length}`, `Content-Length: ${payload.length}`);
          break;
        case "conflicting-length":
          lines.push(`Content-Length: ${payload.length}`, `Content-Length: ${payload.length + 1}`);
          break;
        case "length-and-chunked":
          lines.push(`Content-Length: ${payload.length}`, "Transfer-Encoding: chunked");
          encoded = chunked(payload);
          break;
        case "chunked":
          lines.push("Transfer-Encoding: chunked");
          encoded = chunked(payload);
          break;
        case "chunked-bad-size":
          lines.push("Transfer-Encoding: chunked");
          encoded = Buffer.concat([Buffer.from("zz\r\n"), payload, Buffer.from("\r\n0\r\n\r\n")]);
          break;
        case "negative-length":
          lines.push("Content-Length: -1");
          break;
        case "none":
          break;
      }
      return Buffer.concat([Buffer.from(lines.join(lineEnding) + lineEnding + lineEnding, "utf8"), encoded]);
    });

function chunked(payload: Buffer): Buffer {
  const half = Math.floor(payload.length / 2);
  const parts = [payload.subarray(0, half), payload.subarray(half)].filter((part) => part.length > 0);
  return Buffer.concat([
    ...parts.flatMap((part) => [Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")]),
    Buffer.from("0\r\n\r\n"),
  ]);
}

/** One generated case: which generator made it, and what to send. */
export type FuzzCase = { kind: "transport" | "content"; request: RawRequest } | { kind: "wire"; bytes: Buffer };

export interface FuzzOptions {
  /** The app under test: names the property, whose default seed derives from it (see `propertySettings`). */
  name: string;
  /** Number of generated requests in CI (`FUZZ_RUNS` and `FUZZ_SCALE` change it). */
  runs: number;
  /** Points the well-formed hostile-content requests name (default: all four). */
  points?: readonly string[];
  /**
   * Checks a 200 answer against Dify's acceptance rules: gets the point and params of the request
   * (when its body was a JSON envelope) and the parsed reply; returns the problems, none when fine.
   * Pass `difyReplyProblems` from `@dify-ext/protocol`.
   */
  checkReply?: (point: string, reply: unknown, params: unknown) => string[];
  /** Points that must get at least one checked 200, or the run fails (it would have proven little). */
  mustAnswer?: readonly string[];
  /** More to say on the report line the run prints (e.g. upstream requests). */
  note?: () => string;
}

export interface FuzzReport {
  runs: number;
  /** Answers by status. */
  statuses: Record<number, number>;
  /**
   * Answers by generator and status: `transport` (any method, path, type, encoding, key),
   * `content` (well-formed requests with hostile JSON), `wire` (raw bytes).
   */
  kinds: Record<string, Record<number, number>>;
  /** 200 answers to receive calls by point, each checked with `checkReply`. */
  answered: Record<string, number>;
  /**
   * Connections reset while the client was still uploading a body over the body limit, which the
   * server refuses with 413 and closes (see docs/operations.md). Counted, not failed: the answer was
   * an error either way. A reset for a body within the limit fails the run.
   */
  resetDuringOversizedUpload: number;
}

/**
 * The apps' body limit: `BODY_LIMIT`'s default (`DEFAULT_BODY_LIMIT` in `@dify-ext/server`), which
 * every fuzz test runs with. A body up to it is read and answered; only a larger one may be reset.
 */
const OVERSIZED_BODY = 1024 * 1024;

/** The generator the fuzz run draws from: hostile transport, hostile content, hostile bytes. */
export const fuzzCase = (key: string, points: readonly string[] = POINTS): fc.Arbitrary<FuzzCase> =>
  fc
    .oneof(
      { weight: 4, arbitrary: hostileRequest(key).map((request): FuzzCase => ({ kind: "transport", request })) },
      {
        weight: 4,
        arbitrary: hostileContentRequest(key, points).map((request): FuzzCase => ({ kind: "content", request })),
      },
      { weight: 2, arbitrary: hostileWireRequest(key).map((bytes): FuzzCase => ({ kind: "wire", bytes })) },
    )
    .map(describable);

/** The case, printed in fast-check's counterexample as a short description instead of megabytes of bytes. */
function describable(test: FuzzCase): FuzzCase {
  return Object.defineProperty(test, fc.toStringMethod, { value: () => describeCase(test), enumerable: false });
}

function describeCase(test: FuzzCase): string {
  if (test.kind === "wire") return `raw bytes ${JSON.stringify(test.bytes.subarray(0, 300).toString("latin1"))}`;
  const { method, path, headers, body } = test.request;
  return `${method} ${path} ${JSON.stringify(headers)} (${body.length} bytes) ${JSON.stringify(body.subarray(0, 300).toString("utf8"))}`;
}

/**
 * Cases fuzz runs failed on, sent first to every app on every run (they are valid hostile requests
 * for any of them). Add each new one here.
 */
const foundCases = (key: string): FuzzCase[] =>
  [
    // A point named like an Object.prototype member answered 500 instead of 400.
    '{"point":"constructor","params":{"app_id":"a","inputs":{},"query":"hi"}}',
    '{"point":"__proto__","params":{"app_id":"a","inputs":{},"query":"hi"}}',
    // The weather tool looked a region hint up in a plain object: "the weather tool hit an internal error".
    '{"point":"app.external_data_tool.query","params":{"app_id":"a","tool_variable":"weather","inputs":{"location":"Paris, constructor"},"query":""}}',
  ].map((json) => describable({ kind: "content", request: difyRequest(key, json) }));

/** Point and params of a JSON envelope body, if it is one. */
function envelopeOf(body: Buffer): { point: string; params: unknown } | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { point?: unknown; params?: unknown };
    if (typeof parsed === "object" && parsed !== null && typeof parsed.point === "string")
      return { point: parsed.point, params: parsed.params };
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * Sends `runs` generated hostile requests to a running service, one connection each, and checks
 * every answer: a status in ACCEPTABLE_STATUSES (never 5xx, never a reset or a hang), a JSON
 * `{"error":{"message",...}}` body with every error, and (with `checkReply`) a reply Dify accepts
 * with every 200 to a moderation or data-tool call. Returns the counts.
 */
export async function fuzzReceiveEndpoint(baseUrl: string, key: string, options: FuzzOptions): Promise<FuzzReport> {
  const settings = propertySettings<[FuzzCase]>(`fuzz ${options.name}`, {
    runs: options.runs,
    examples: foundCases(key).map((test): [FuzzCase] => [test]),
  });
  const report: FuzzReport = {
    runs: settings.numRuns,
    statuses: {},
    kinds: {},
    answered: {},
    resetDuringOversizedUpload: 0,
  };
  await fc.assert(
    fc.asyncProperty(fuzzCase(key, options.points), async (test) => {
      let response: RawResponse;
      try {
        response = test.kind === "wire" ? await sendBytes(baseUrl, test.bytes) : await sendRaw(baseUrl, test.request);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (
          test.kind !== "wire" &&
          test.request.body.length > OVERSIZED_BODY &&
          (code === "EPIPE" || code === "ECONNRESET")
        ) {
          report.resetDuringOversizedUpload += 1;
          return;
        }
        throw new Error(`${(error as Error).message} for ${describeCase(test)}`);
      }
      report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
      const byKind = report.kinds[test.kind] ?? {};
      report.kinds[test.kind] = byKind;
      byKind[response.status] = (byKind[response.status] ?? 0) + 1;
      if (!ACCEPTABLE_STATUSES.has(response.status)) {
        throw new Error(`status ${response.status} for ${describeCase(test)}: ${response.body.slice(0, 200)}`);
      }
      if (response.status !== 200) {
        if (!response.body.startsWith('{"error":{"message":')) {
          throw new Error(`status ${response.status} without the JSON error body: ${response.body.slice(0, 200)}`);
        }
        return;
      }
      if (test.kind !== "wire" && test.request.method === "OPTIONS") {
        // HTTP's OPTIONS: a 200 that lists the methods of a known path (the router's allowedMethods).
        if (!response.headers.allow) throw new Error(`OPTIONS answered 200 without Allow for ${describeCase(test)}`);
        return;
      }
      const sent = test.kind === "wire" ? undefined : envelopeOf(test.request.body);
      if (
        !sent ||
        test.kind === "wire" ||
        test.request.method !== "POST" ||
        test.request.path.split("?")[0] !== "/api/dify/receive"
      )
        return;
      let reply: unknown;
      try {
        reply = JSON.parse(response.body);
      } catch {
        throw new Error(`200 with a body that is not JSON for ${describeCase(test)}: ${response.body.slice(0, 200)}`);
      }
      const problems = options.checkReply?.(sent.point, reply, sent.params) ?? [];
      if (problems.length > 0) {
        throw new Error(
          `200 with a reply Dify rejects (${problems.join("; ")}) for ${describeCase(test)}: ${response.body.slice(0, 300)}`,
        );
      }
      report.answered[sent.point] = (report.answered[sent.point] ?? 0) + 1;
    }),
    // No shrinking: every step is a request to a live process; the first failing case is reported.
    { ...settings, endOnFailure: true },
  );
  const note = options.note?.();
  console.log(`${formatFuzzReport(options.name, report)}${note ? `; ${note}` : ""}`);
  const unanswered = (options.mustAnswer ?? []).filter((point) => !report.answered[point]);
  if (unanswered.length > 0)
    throw new Error(`no checked 200 reply to ${unanswered.join(", ")} in ${report.runs} requests`);
  return report;
}

/** One line for the test log and docs/operations.md: totals, statuses, and what each generator got. */
export function formatFuzzReport(name: string, report: FuzzReport): string {
  const kinds = Object.entries(report.kinds)
    .map(([kind, statuses]) => `${kind} ${JSON.stringify(statuses)}`)
    .join(", ");
  const resets =
    report.resetDuringOversizedUpload > 0
      ? `; resets during an oversized upload: ${report.resetDuringOversizedUpload}`
      : "";
  return `fuzz ${name}: ${report.runs} requests, statuses ${JSON.stringify(report.statuses)}; by generator: ${kinds}; checked 200 replies by point ${JSON.stringify(report.answered)}${resets}`;
}
