import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { PythonJsonError, pythonJsonLoads } from "./python-json.ts";

/** Dify's timeouts for an extension call: `httpx.Timeout(60.0, connect=5.0)`. */
export const DIFY_CONNECT_TIMEOUT_MS = 5_000;
export const DIFY_READ_TIMEOUT_MS = 60_000;

/** The client Dify 1.x calls extensions with. */
export const DIFY_USER_AGENT = "python-httpx/0.27.0";

export interface DifyCallOptions {
  /** Time to open the connection (TCP and TLS). Default 5 s, as Dify. */
  connectTimeoutMs?: number;
  /** Longest silence while sending or receiving once connected. Default 60 s, as Dify. */
  readTimeoutMs?: number;
}

/** What came back from one call, before Dify looks at the body. */
export type CallOutcome =
  | { kind: "response"; status: number; location?: string; body: Uint8Array; text: string; ms: number }
  | { kind: "timeout"; phase: "connect" | "read"; ms: number }
  | { kind: "connection-error"; reason: string; ms: number };

/**
 * `json.dumps` with Python's defaults, as httpx 0.27 serialises `json=`: `", "` and `": "` separators,
 * every non-ASCII character escaped as `\uXXXX`.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return String(value);
  }
  if (typeof value === "string") {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      const char = value[i]!;
      if (char === '"') out += '\\"';
      else if (char === "\\") out += "\\\\";
      else if (char === "\n") out += "\\n";
      else if (char === "\r") out += "\\r";
      else if (char === "\t") out += "\\t";
      else if (char === "\b") out += "\\b";
      else if (char === "\f") out += "\\f";
      else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
      else out += char;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`).join(", ")}}`;
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  let body = raw;
  // Content-Encoding lists codings in the order applied; undo them last first, as httpx does.
  const codings = (encoding ?? "")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity")
    .reverse();
  for (const coding of codings) {
    if (coding === "gzip" || coding === "x-gzip") body = gunzipSync(body);
    else if (coding === "deflate") {
      try {
        body = inflateSync(body);
      } catch {
        body = inflateRawSync(body);
      }
    }
    // httpx ignores codings it does not know, and so do we.
  }
  return body;
}

function charsetOf(contentType: string | undefined): string {
  const match = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "");
  return match?.[1] ?? "utf-8";
}

function decodeText(body: Uint8Array, contentType: string | undefined): string {
  try {
    return new TextDecoder(charsetOf(contentType)).decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

/**
 * Posts one call exactly as Dify's `APIBasedExtensionRequestor` does: POST to exactly `url`, JSON body
 * `{"point", "params"}` serialised like Python, `Authorization: Bearer <key>`, httpx's headers, a new
 * connection for this call only, no redirects followed, 5 s to connect and 60 s of read inactivity.
 * Never throws: every failure is an outcome.
 */
export function callExtension(
  url: string,
  key: string,
  point: string,
  params: unknown,
  options: DifyCallOptions = {},
): Promise<CallOutcome> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DIFY_CONNECT_TIMEOUT_MS;
  const readTimeoutMs = options.readTimeoutMs ?? DIFY_READ_TIMEOUT_MS;
  const payload = Buffer.from(pythonJsonDumps({ point, params }), "utf8");
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  return new Promise<CallOutcome>((resolve) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: CallOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      request.destroy();
      resolve(outcome);
    };

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ kind: "connection-error", reason: "the URL is not valid", ms: 0 });
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : target.protocol === "http:" ? httpRequest : undefined;
    if (!send) {
      resolve({ kind: "connection-error", reason: `unsupported protocol ${target.protocol}`, ms: 0 });
      return;
    }

    const request = send(target, {
      method: "POST",
      agent: false,
      headers: {
        Accept: "*/*",
        "Accept-Encoding": "gzip, deflate",
        Connection: "keep-alive",
        "User-Agent": DIFY_USER_AGENT,
        "Content-Length": String(payload.length),
        "Content-Type": "application/json",
        Authorization: `Bearer ${key}`,
      },
    });

    connectTimer = setTimeout(() => finish({ kind: "timeout", phase: "connect", ms: elapsed() }), connectTimeoutMs);
    request.once("socket", (socket: Socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        socket.setTimeout(readTimeoutMs, () => finish({ kind: "timeout", phase: "read", ms: elapsed() }));
      };
      const event = target.protocol === "https:" ? "secureConnect" : "connect";
      if (!socket.connecting && target.protocol === "http:") connected();
      else socket.once(event, connected);
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      finish({ kind: "connection-error", reason: error.code ?? error.message, ms: elapsed() });
    });
    request.on("response", (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", (error: NodeJS.ErrnoException) => {
        finish({ kind: "connection-error", reason: error.code ?? error.message, ms: elapsed() });
      });
      response.on("end", () => {
        let body: Buffer;
        try {
          body = decodeBody(Buffer.concat(chunks), response.headers["content-encoding"]);
        } catch {
          finish({ kind: "connection-error", reason: "the body could not be decompressed", ms: elapsed() });
          return;
        }
        finish({
          kind: "response",
          status: response.statusCode ?? 0,
          ...(response.headers.location ? { location: response.headers.location } : {}),
          body,
          text: decodeText(body, response.headers["content-type"]),
          ms: elapsed(),
        });
      });
    });
    request.end(payload);
  });
}

/** Dify's requestor result: the parsed JSON, or the exact text of the `ValueError` it raises. */
export type RequestorResult = { ok: true; json: unknown } | { ok: false; error: string };

/**
 * What `APIBasedExtensionRequestor.request` turns an outcome into: `request timeout`,
 * `request connection error`, `request error, status_code: N, content: <first 100 characters>`, a
 * Python JSON decode error, or the parsed JSON.
 */
export function requestorResult(outcome: CallOutcome): RequestorResult {
  if (outcome.kind === "timeout") return { ok: false, error: "request timeout" };
  if (outcome.kind === "connection-error") return { ok: false, error: "request connection error" };
  if (outcome.status !== 200) {
    const content = Array.from(outcome.text).slice(0, 100).join("");
    return { ok: false, error: `request error, status_code: ${outcome.status}, content: ${content}` };
  }
  try {
    return { ok: true, json: pythonJsonLoads(outcome.body) };
  } catch (error) {
    if (error instanceof PythonJsonError) return { ok: false, error: error.message };
    throw error;
  }
}
