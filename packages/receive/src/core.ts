import { createKeyVerifier } from "@dify-ext/auth";
import {
  type ExternalDataToolReply,
  type HandlerPoint,
  isPoint,
  type ModerationInputReply,
  type ModerationOutputReply,
  type ParamsByPoint,
  ProtocolError,
  parseEnvelope,
  parseParams,
  pong,
} from "@dify-ext/protocol";
import { clip, errorBody, HttpError } from "./errors.ts";
import { checkContentLimits, type ContentLimits, DEFAULT_CONTENT_LIMITS } from "./limits.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { createRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit.ts";

/** Dify's conventional receive path. */
export const RECEIVE_PATH = "/api/dify/receive";

/**
 * A route an app serves beside the receive endpoint (the moderation apps' playground), through
 * the same adapters and error answers:
 * - `call`: `POST`, JSON in and out, behind the receive endpoint's key, rate limit, type checks and
 *   body limit; its answer is `handle`'s result as JSON with status 200; logged with its path and
 *   kept out of the request metrics.
 * - `asset`: `GET` (and `HEAD`) of fixed content, without a key, with the headers given.
 */
export type ExtraRoute =
  | {
      kind: "call";
      path: string;
      /** Validates the body and answers; `limits` are the receive endpoint's, for the texts it carries. */
      handle(body: unknown, context: HandlerContext, limits: ContentLimits): Promise<unknown>;
    }
  | { kind: "asset"; path: string; headers: Record<string, string>; body: string };

/** Default body limit: far above any Dify request (Dify caps texts well below it). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ReplyByPoint {
  "app.moderation.input": ModerationInputReply;
  "app.moderation.output": ModerationOutputReply;
  "app.external_data_tool.query": ExternalDataToolReply;
}

/** What a handler gets besides its params. */
export interface HandlerContext {
  requestId: string;
  /** Logger bound to this request (request id, point). */
  logger: Logger;
  /**
   * Fields added to this request's access-log line (e.g. `verdict`, `engine`). Never put end-user
   * text here unless a debug setting asks for it.
   */
  logFields: Record<string, unknown>;
}

export type PointHandler<P extends HandlerPoint> = (
  params: ParamsByPoint[P],
  context: HandlerContext,
) => ReplyByPoint[P] | Promise<ReplyByPoint[P]>;

export type PointHandlers = { [P in HandlerPoint]?: PointHandler<P> };

export interface ReceiveOptions {
  /** Valid API keys (several at once for rotation); each at least 5 characters. */
  apiKeys: readonly string[];
  /** The points this app answers besides `ping`, which every app answers. */
  handlers: PointHandlers;
  /** Largest accepted body in bytes (413 beyond it). */
  bodyLimit?: number;
  logger?: Logger;
  /** Path of the receive endpoint; Dify posts to exactly the URL the user typed. */
  path?: string;
  /** Reported by `GET /readyz`: ready when it returns `true`, otherwise the reason it is not. */
  readiness?: () => true | string;
  /** Limits on inputs, text length and nesting (400 beyond them). */
  limits?: Partial<ContentLimits>;
  /** Per-key token-bucket rate limit (429 with `Retry-After`); off when absent. */
  rateLimit?: RateLimitOptions;
  /**
   * The limiter that applies `rateLimit` when its buckets are not this process's own (the buckets
   * replicas share, SHARED_STATE_URL); it is called with the index of the presented key.
   */
  rateLimiter?: RateLimiter;
  /**
   * More about the service's state, added to every `GET /readyz` answer (the shared state store's
   * connection, for one); it never makes the service not ready.
   */
  readyDetail?: () => Record<string, unknown>;
  /** Told about every answered call (Prometheus counters under Node). */
  metrics?: RequestObserver;
  /** Serves `GET /metrics` on this endpoint when given (e.g. Prometheus text). */
  metricsEndpoint?: () => Promise<{ contentType: string; body: string }>;
  /** The routes served (default: all; `metrics` only with `metricsEndpoint`). */
  routes?: readonly RouteKind[];
  /**
   * Serve `GET /metrics` without a key (default false: it shows the Node version, limits and
   * verdict counts, so on the service's port it takes an API key like the receive endpoint). The
   * metrics-only port (METRICS_PORT), meant for in-cluster scraping, sets it.
   */
  metricsOpen?: boolean;
  /** Routes an app adds (the playground's page and explain endpoint). */
  extraRoutes?: readonly ExtraRoute[];
}

/** What the core reports about each request, for metrics. */
export interface RequestRecord {
  /** The point, or `-` when the request never got as far as naming a valid one. */
  point: string;
  status: number;
  seconds: number;
  /** Fields handlers added (`verdict`, `engine`, ...). */
  fields: Readonly<Record<string, unknown>>;
}

export interface RequestObserver {
  observeRequest(record: RequestRecord): void;
}

/** An answer as the adapters write it. Header names are lower case. */
export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The request headers the receive rules read before the body. */
export interface CallHeaders {
  /** Every Authorization header, joined with ", " when there are several. */
  authorization: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** One route of the service: defined once here, registered by each adapter. */
export type Route =
  | { kind: "receive" | "call"; method: "POST"; path: string }
  | { kind: "health" | "ready" | "metrics" | "asset"; method: "GET"; path: string };

export type RouteKind = Route["kind"];

/**
 * The framework-neutral rules of the receive endpoint. The Koa middleware (Node) and the fetch
 * adapter (Workers) call these; neither holds a rule of its own.
 */
export interface ReceiveCore {
  /** The path of the receive endpoint (`/api/dify/receive`). */
  readonly receivePath: string;
  /** The points answered, `ping` first. */
  readonly points: readonly string[];
  /** Largest accepted body in bytes. */
  readonly bodyLimit: number;
  /** The routes served: the receive endpoint, `/healthz`, `/readyz` and (when on) `/metrics`. */
  readonly routes: readonly Route[];
  /** The 404 of a request no route serves; its message lists the routes. */
  notFound(method: string, path: string): HttpError;
  /** Starts a call: its request id (the client's `X-Request-Id` when well-formed) and log fields. */
  begin(requestIdHeader: string | undefined): HandlerContext;
  /** The headers of every answer: JSON, never cached, never sniffed, and the request id. */
  headers(requestId: string): Record<string, string>;
  /**
   * What is checked before the body is read: the key, the rate limit, the encoding and type. A
   * promise only when the rate limit is decided elsewhere (shared buckets): await it then.
   */
  admit(headers: CallHeaders, context: HandlerContext): void | Promise<void>;
  /** Parses a body read as text (adapters without a body parser of their own). */
  parseJson(text: string): unknown;
  /** Validates the envelope and params, applies the limits, and runs the point's handler. */
  dispatch(body: unknown, context: HandlerContext): Promise<unknown>;
  /** Runs the `call` route at `path` (an {@link ExtraRoute}) on a parsed body. */
  call(path: string, body: unknown, context: HandlerContext): Promise<unknown>;
  /** The answer of the `asset` route at `path` (an {@link ExtraRoute}). */
  asset(path: string, context: HandlerContext): CoreResponse;
  /** The answer of a GET route other than the receive endpoint (`/metrics` may need the key). */
  serve(
    kind: "health" | "ready" | "metrics",
    context: HandlerContext,
    authorization: string | undefined,
  ): Promise<CoreResponse>;
  /**
   * The answer to an error: an `HttpError` or `ProtocolError` as the 4xx it names; anything else
   * as the one generic 500, with its detail logged.
   */
  fail(error: unknown, context: HandlerContext): CoreResponse;
  /**
   * Writes the access-log line of a call to the receive endpoint and reports it to metrics; a call
   * to a `call` route (`path` given) is logged with its path and kept out of the metrics.
   */
  record(context: HandlerContext, method: string, status: number, seconds: number, path?: string): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Request ids: a random prefix per process and a counter. Unique across replicas and restarts in
 * practice, and a fraction of the cost of `crypto.randomUUID()` per request under load.
 */
const ID_PREFIX = Math.floor(Math.random() * 36 ** 6)
  .toString(36)
  .padStart(6, "0");
let idCounter = 0;
function nextRequestId(): string {
  idCounter += 1;
  return `${ID_PREFIX}-${idCounter.toString(36)}`;
}

/** Longest client-supplied string (a point, a content type) written to a log line or a message. */
const CLIENT_STRING_LIMIT = 100;

/** Builds the rules; checks their options (API keys, limits) at once and throws on bad ones. */
export function createReceiveCore(options: ReceiveOptions): ReceiveCore {
  const verify = createKeyVerifier(options.apiKeys);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 64) {
    throw new RangeError(`body limit must be a whole number of bytes of at least 64, got ${bodyLimit}`);
  }
  const logger = options.logger ?? silentLogger;
  const receivePath = options.path ?? RECEIVE_PATH;
  // A Map, so a point named like an Object.prototype member (`constructor`) is just an unknown point.
  const handlers = new Map<string, PointHandler<HandlerPoint>>();
  for (const [point, handler] of Object.entries(options.handlers)) {
    if (!handler) continue;
    if (!isPoint(point) || point === "ping") throw new RangeError(`cannot handle unknown point "${point}"`);
    handlers.set(point, handler as PointHandler<HandlerPoint>);
  }
  const points = ["ping", ...handlers.keys()];
  const supported = points.join(", ");
  const limits: ContentLimits = { ...DEFAULT_CONTENT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`limit ${name} must be a whole number of at least 1, got ${value}`);
    }
  }
  const limiter = options.rateLimit ? (options.rateLimiter ?? createRateLimiter(options.rateLimit)) : undefined;
  const served = new Set<RouteKind>(options.routes ?? ["receive", "health", "ready", "metrics", "call", "asset"]);
  if (!options.metricsEndpoint) served.delete("metrics");
  const extra = new Map<string, ExtraRoute>();
  for (const route of options.extraRoutes ?? []) {
    if (!served.has(route.kind)) continue;
    if (
      !route.path.startsWith("/") ||
      extra.has(route.path) ||
      [receivePath, "/healthz", "/readyz", "/metrics"].includes(route.path)
    ) {
      throw new RangeError(`route ${route.path} is not a free path`);
    }
    extra.set(route.path, route);
  }
  const routes: Route[] = (
    [
      { kind: "receive", method: "POST", path: receivePath },
      { kind: "health", method: "GET", path: "/healthz" },
      { kind: "ready", method: "GET", path: "/readyz" },
      { kind: "metrics", method: "GET", path: "/metrics" },
    ] satisfies Route[]
  ).filter((route) => served.has(route.kind));
  for (const route of extra.values()) {
    routes.push(
      route.kind === "call"
        ? { kind: "call", method: "POST", path: route.path }
        : { kind: "asset", method: "GET", path: route.path },
    );
  }
  const routeList = routes.map((route) => `${route.method} ${route.path}`).join(", ");

  /** The index of the presented key, or a 401. */
  function authenticate(authorization: string | undefined, context: HandlerContext): number {
    // Every runtime sees the same request: Node keeps the first of several Authorization headers,
    // fetch joins them with ", ". A key never holds a comma, so a comma means several: refused.
    if (authorization?.includes(",")) {
      context.logFields.auth = "several";
      throw new HttpError("unauthorized", "send exactly one Authorization header: 'Bearer <api key>'", {
        "www-authenticate": 'Bearer realm="dify-ext"',
      });
    }
    const auth = verify(authorization);
    if (!auth.ok) {
      context.logFields.auth = auth.failure;
      throw new HttpError("unauthorized", auth.message, { "www-authenticate": 'Bearer realm="dify-ext"' });
    }
    return auth.keyIndex;
  }

  /** The 429 of a call the limiter asked to wait. */
  function limited(wait: number, context: HandlerContext): void {
    if (wait <= 0) return;
    context.logFields.rateLimited = true;
    const seconds = Math.max(1, Math.ceil(wait));
    throw new HttpError("rate_limited", `too many requests for this API key; retry after ${seconds} s`, {
      "retry-after": String(seconds),
    });
  }

  /** The 415 of a compressed body or a type other than JSON. */
  function checkType(call: CallHeaders): void {
    const encoding = call.contentEncoding?.trim().toLowerCase();
    if (encoding && encoding !== "identity") {
      throw new HttpError(
        "unsupported_media_type",
        `Content-Encoding "${clip(encoding, 40)}" is not supported; send the body uncompressed`,
      );
    }
    if (!isJsonContentType(call.contentType)) {
      throw new HttpError(
        "unsupported_media_type",
        call.contentType
          ? `Content-Type must be application/json, got "${clip(call.contentType, 60)}"`
          : "Content-Type must be application/json",
      );
    }
  }

  function headers(requestId: string): Record<string, string> {
    // One object literal: measurably cheaper for Node to write than a spread copy.
    return {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-request-id": requestId,
    };
  }

  function json(status: number, body: unknown, context: HandlerContext): CoreResponse {
    return { status, headers: headers(context.requestId), body: JSON.stringify(body) };
  }

  return {
    receivePath,
    points,
    bodyLimit,
    routes,
    headers,

    notFound(method, path) {
      return new HttpError(
        "not_found",
        `no route ${clip(method, 20)} ${clip(path, 100)}; this service serves ${routeList}`,
      );
    },

    begin(requestIdHeader) {
      const requestId = requestIdHeader && REQUEST_ID.test(requestIdHeader) ? requestIdHeader : nextRequestId();
      // The request's child logger is made only when a handler logs: most requests never need one.
      let requestLogger: Logger | undefined;
      return {
        requestId,
        get logger() {
          requestLogger ??= logger.child({ reqId: requestId });
          return requestLogger;
        },
        logFields: {},
      };
    },

    admit(call, context) {
      const keyIndex = authenticate(call.authorization, context);
      const wait = limiter?.take(keyIndex);
      if (typeof wait === "object") {
        return wait.then((seconds) => {
          limited(seconds, context);
          checkType(call);
        });
      }
      if (wait !== undefined) limited(wait, context);
      checkType(call);
    },

    parseJson(text) {
      if (text.trim() === "") throw emptyBody();
      try {
        return JSON.parse(text);
      } catch {
        throw invalidJson();
      }
    },

    async dispatch(body, context) {
      const envelope = parseEnvelope(body);
      context.logFields.point = clip(envelope.point, CLIENT_STRING_LIMIT);
      if (envelope.point === "ping") return pong();
      const handler = handlers.get(envelope.point);
      if (!handler) {
        const known = isPoint(envelope.point) ? "is not served here" : "is not a Dify extension point";
        throw new HttpError(
          "unsupported_point",
          `point "${clip(envelope.point, 60)}" ${known}; this service answers: ${supported}`,
        );
      }
      const point = envelope.point as HandlerPoint;
      const params = parseParams(point, envelope.params);
      checkContentLimits(params as Record<string, unknown>, limits);
      return handler(params as never, context);
    },

    async call(path, body, context) {
      const route = extra.get(path);
      if (route?.kind !== "call") throw new HttpError("not_found", `no route POST ${clip(path, 100)}`);
      return route.handle(body, context, limits);
    },

    asset(path, context) {
      const route = extra.get(path);
      if (route?.kind !== "asset") throw new HttpError("not_found", `no route GET ${clip(path, 100)}`);
      return { status: 200, headers: { ...route.headers, "x-request-id": context.requestId }, body: route.body };
    },

    async serve(kind, context, authorization) {
      if (kind === "health") return json(200, { status: "ok" }, context);
      if (kind === "ready") {
        const ready = options.readiness?.() ?? true;
        const detail = options.readyDetail?.();
        return ready === true
          ? json(200, { status: "ready", ...detail }, context)
          : json(503, { status: "not ready", reason: ready, ...detail }, context);
      }
      if (!options.metricsEndpoint) throw new HttpError("not_found", "metrics are not served here");
      if (!options.metricsOpen) authenticate(authorization, context);
      const { contentType, body } = await options.metricsEndpoint();
      return { status: 200, headers: { ...headers(context.requestId), "content-type": contentType }, body };
    },

    fail(error, context) {
      const answer = headers(context.requestId);
      if (error instanceof HttpError) {
        Object.assign(answer, error.headers);
        return { status: error.status, headers: answer, body: errorBody(error.code, error.message) };
      }
      if (error instanceof ProtocolError) {
        return { status: 400, headers: answer, body: errorBody("invalid_request", error.message) };
      }
      context.logger.error({ err: error }, "unhandled error");
      const message = `internal error; the operator can find request ${context.requestId} in the log`;
      return { status: 500, headers: answer, body: errorBody("internal_error", message) };
    },

    record(context, method, status, seconds, path) {
      const { logFields } = context;
      const ms = Math.round(seconds * 100_000) / 100;
      const line = { reqId: context.requestId, method, path: path ?? receivePath, status, ms, ...logFields };
      if (status >= 500) logger.error(line, "request failed");
      else if (logger.access) logger.access(line);
      else logger.info(line, "request");
      if (path !== undefined) return;
      const point = typeof logFields.point === "string" && isPoint(logFields.point) ? logFields.point : "-";
      options.metrics?.observeRequest({ point, status, seconds, fields: logFields });
    },
  };
}

export const emptyBody = () => new HttpError("invalid_json", "the body is empty; expected a JSON object");
export const invalidJson = () => new HttpError("invalid_json", "the body is not valid JSON");

/** `application/json` or any `application/*+json`, with any parameters. */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
