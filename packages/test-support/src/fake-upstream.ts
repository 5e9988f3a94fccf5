/**
 * What the fake upstream servers on loopback share (the fake OpenAI moderation endpoint, the fake
 * guard model, the fake classifier): serving on a free port with their calls, script and requests in
 * flight ({@link serveFake}), reading a request, recording it with its key hidden, and answering a
 * scripted failure (an HTTP error in OpenAI's error shape, a hang, a reset, a dropped or stalled body).
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

/** A request a fake received. */
export interface RecordedCall {
  method: string;
  /** Request path, e.g. `/v1/moderations`. */
  path: string;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Request headers, with `authorization` redacted to `Bearer ***` so failing tests never print it. */
  headers: IncomingHttpHeaders;
  /**
   * The raw `Authorization` header. Not enumerable, so assertion diffs and `console.log` of a call
   * do not show it; prefer {@link RecordedCall.authorizedWith}.
   */
  readonly authorization: string | undefined;
  /** Whether the request carried `Authorization: Bearer <key>` (compared in constant time). */
  authorizedWith(key: string): boolean;
}

/**
 * A scripted failure or raw answer, for one request.
 * - `json`: this status (default 200) and JSON body.
 * - `text`: this status (default 200) and raw body, with `contentType` (default
 *   `application/json`, to produce a malformed JSON body).
 * - `error`: an OpenAI-style error body `{"error":{message,type,param,code}}` with this status.
 * - `hang`: read the request, never answer (the socket stays open until the client gives up or
 *   the fake is closed).
 * - `reset`: destroy the connection without answering.
 * - `drop-after-headers`: send a 200 with JSON headers, then destroy the connection.
 * - `stall-after-headers`: send a 200 with JSON headers and part of a body, then never finish.
 *
 * `headers` are added to the reply; `delayMs` waits before answering.
 */
export type ScriptedReply =
  | { type: "json"; status?: number; body: unknown; headers?: Record<string, string>; delayMs?: number }
  | {
      type: "text";
      status?: number;
      body: string;
      contentType?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | {
      type: "error";
      status: number;
      message?: string;
      code?: string | null;
      errorType?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { type: "hang" }
  | { type: "reset"; delayMs?: number }
  | { type: "drop-after-headers"; delayMs?: number }
  | { type: "stall-after-headers"; delayMs?: number };

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Reads and parses a request into a {@link RecordedCall} with `extra` fields. */
export async function recordRequest<T extends object>(
  req: IncomingMessage,
  extra: (body: unknown) => T,
): Promise<RecordedCall & T> {
  const raw = await readBody(req);
  let body: unknown = raw;
  try {
    body = raw.length > 0 ? JSON.parse(raw) : undefined;
  } catch {
    // keep the raw text
  }
  const authorization = req.headers.authorization;
  const headers: IncomingHttpHeaders = { ...req.headers };
  if (headers.authorization !== undefined) headers.authorization = "Bearer ***";
  const call = {
    method: req.method ?? "GET",
    path: (req.url ?? "/").split("?")[0] ?? "/",
    body,
    ...extra(body),
    headers,
  } as RecordedCall & T;
  Object.defineProperty(call, "authorization", { value: authorization, enumerable: false });
  Object.defineProperty(call, "authorizedWith", {
    enumerable: false,
    value: (key: string) => {
      const sent = bearerOf(authorization);
      if (sent === undefined) return false;
      const a = Buffer.from(sent);
      const b = Buffer.from(key);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  });
  return call;
}

export function bearerOf(authorization: string | undefined): string | undefined {
  const match = /^bearer\s+(.+)$/i.exec(authorization ?? "");
  return match?.[1]?.trim();
}

/** OpenAI echoes a masked key in its 401 message; mimic it so tests prove bodies are not leaked. */
export function maskKey(key: string): string {
  if (key.length <= 8) return "*".repeat(key.length);
  return `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  contentType = "application/json",
): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  errorType: string,
  code: string | null,
  headers?: Record<string, string>,
): void {
  send(res, status, JSON.stringify({ error: { message, type: errorType, param: null, code } }), headers);
}

/** Timers of delayed answers, cleared when the fake closes. */
export class Delays {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Waits `ms`; resolves whether the response can still be written. */
  wait(ms: number | undefined, res: ServerResponse): Promise<boolean> {
    if (!ms || ms <= 0) return Promise.resolve(!res.destroyed);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!res.destroyed);
      }, ms);
      this.timers.add(timer);
    });
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Answers one scripted reply. */
export async function answerScripted(
  reply: ScriptedReply,
  req: IncomingMessage,
  res: ServerResponse,
  delays: Delays,
): Promise<void> {
  switch (reply.type) {
    case "json":
      if (!(await delays.wait(reply.delayMs, res))) return;
      send(res, reply.status ?? 200, JSON.stringify(reply.body), reply.headers);
      return;
    case "text":
      if (!(await delays.wait(reply.delayMs, res))) return;
      send(res, reply.status ?? 200, reply.body, reply.headers, reply.contentType);
      return;
    case "error":
      if (!(await delays.wait(reply.delayMs, res))) return;
      sendError(
        res,
        reply.status,
        reply.message ?? `Fake error ${reply.status}`,
        reply.errorType ?? (reply.status >= 500 ? "server_error" : "invalid_request_error"),
        reply.code ?? null,
        reply.headers,
      );
      return;
    case "hang":
      return;
    case "reset":
      if (!(await delays.wait(reply.delayMs, res))) return;
      req.socket.destroy();
      return;
    case "drop-after-headers":
    case "stall-after-headers":
      if (!(await delays.wait(reply.delayMs, res))) return;
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.flushHeaders();
      res.write('{"id":"fake","choices":[');
      // A dropped body ends with the connection; a stalled one never ends.
      if (reply.type === "drop-after-headers") setImmediate(() => req.socket.destroy());
      return;
  }
}

/**
 * The scripted replies of a fake: a handler answers every following request; an array (or a single
 * reply) is a queue consumed one reply per request, after which `fallback` answers again.
 */
export class ReplyScript<C, R> {
  private handler: ((call: C) => R | Promise<R>) | undefined;
  private queue: R[] = [];

  constructor(private readonly fallback: () => R) {}

  set(script: ((call: C) => R | Promise<R>) | R | readonly R[]): void {
    if (typeof script === "function") {
      this.handler = script as (call: C) => R | Promise<R>;
      this.queue = [];
    } else {
      this.handler = undefined;
      this.queue = Array.isArray(script) ? [...(script as readonly R[])] : [script as R];
    }
  }

  /** The reply for `call`. */
  async next(call: C): Promise<R> {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (this.handler) return this.handler(call);
    return this.fallback();
  }

  clear(): void {
    this.handler = undefined;
    this.queue = [];
  }
}

/** Requests a fake is answering right now, and the most at once since the last `reset`. */
export class InFlight {
  current = 0;
  max = 0;

  /** Counts `res` until it closes. */
  track(res: ServerResponse): void {
    this.current += 1;
    this.max = Math.max(this.max, this.current);
    res.once("close", () => {
      this.current -= 1;
    });
  }

  reset(): void {
    this.max = this.current;
  }
}

/** What a scripted fake keeps while it runs: the calls it received, its script, its delays, its requests in flight. */
export class FakeState<C, R> {
  /** Every request received, in arrival order (including rejected ones). */
  readonly calls: C[] = [];
  readonly replies: ReplyScript<C, R>;
  readonly delays = new Delays();
  readonly inFlight = new InFlight();

  /** `fallback` is the reply when nothing is scripted (the fake's default answer). */
  constructor(fallback: () => R) {
    this.replies = new ReplyScript(fallback);
  }
}

/** The controls every scripted fake gives its tests. */
export interface FakeControls<C, R> {
  /** The fake's base URL (the server's origin and `basePath`). */
  readonly url: string;
  /** Every request received, in arrival order (including rejected ones). */
  readonly calls: C[];
  /** Requests being answered right now. */
  readonly inFlight: number;
  /** The most requests answered at once since the last `reset`. */
  readonly maxInFlight: number;
  /**
   * Scripts the next replies. A handler answers every following request; an array (or a single
   * reply) is a queue consumed one reply per request, after which the default answer resumes.
   * Replaces any previous script.
   */
  script(script: ((call: C) => R | Promise<R>) | R | readonly R[]): void;
  /** Forgets the script and the recorded calls. */
  reset(): void;
  /** Stops the server and destroys open connections (including hanging ones). */
  close(): Promise<void>;
}

/**
 * Serves a fake upstream on 127.0.0.1 on a free port: `handle` answers each request (reading and
 * writing `state`); a request it fails on gets `failed` (the upstream's own 500), or a reset once
 * the answer has begun.
 */
export async function serveFake<C, R>(
  state: FakeState<C, R>,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  failed: (res: ServerResponse, error: unknown) => void,
  basePath = "",
): Promise<FakeControls<C, R>> {
  const server = createServer((req, res) => {
    state.inFlight.track(res);
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) failed(res, error);
      else res.destroy();
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    calls: state.calls,
    get inFlight() {
      return state.inFlight.current;
    },
    get maxInFlight() {
      return state.inFlight.max;
    },
    script(script) {
      state.replies.set(script);
    },
    reset() {
      state.replies.clear();
      state.calls.length = 0;
      state.inFlight.reset();
    },
    close() {
      state.delays.clear();
      return close();
    },
  };
}
