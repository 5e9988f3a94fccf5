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
import { errorBody, HttpError } from "./errors.ts";
import { checkContentLimits, type ContentLimits, DEFAULT_CONTENT_LIMITS } from "./limits.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { createRateLimiter, type RateLimitOptions } from "./rate-limit.ts";

/** Dify's conventional receive path. */
export const RECEIVE_PATH = "/api/dify/receive";

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
  /** Told about every answered call (Prometheus counters under Node). */
  metrics?: RequestObserver;
  /** Serves `GET /metrics` on this endpoint when given (e.g. Prometheus text). */
  metricsEndpoint?: () => Promise<{ contentType: string; body: string }>;
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

/** A request as the adapters hand it to the core. Header names are lower case. */
export interface CoreRequest {
  method: string;
  path: string;
  header(name: string): string | undefined;
  /** Reads the whole body as UTF-8; rejects with a 413 `HttpError` past `limit` bytes. */
  readBody(limit: number): Promise<string>;
}

export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The framework-neutral request core: every rule of the receive endpoint lives here once. */
export interface ReceiveCore {
  handle(request: CoreRequest): Promise<CoreResponse>;
  /** The points answered, `ping` first. */
  readonly points: readonly string[];
  /** The path of the receive endpoint (`/api/dify/receive`). */
  readonly receivePath: string;
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

/**
 * Builds an answer's headers as one object literal (measurably cheaper for Node to write than a
 * spread copy). These are the headers a JSON API needs: JSON, never cached, never sniffed, and (CSP)
 * nothing loaded or framed if a browser ever renders it.
 */
function answerHeaders(requestId: string): Record<string, string> {
  return {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-request-id": requestId,
  };
}

/** Builds the core; checks its options (API keys, limits) at once and throws on bad ones. */
export function createReceiveCore(options: ReceiveOptions): ReceiveCore {
  const verify = createKeyVerifier(options.apiKeys);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 64) {
    throw new RangeError(`body limit must be a whole number of bytes of at least 64, got ${bodyLimit}`);
  }
  const logger = options.logger ?? silentLogger;
  const receivePath = options.path ?? RECEIVE_PATH;
  const handlers = options.handlers as Record<string, PointHandler<HandlerPoint> | undefined>;
  const points = ["ping", ...Object.keys(handlers).filter((point) => handlers[point])];
  for (const point of points) {
    if (!isPoint(point)) throw new RangeError(`cannot handle unknown point "${point}"`);
  }
  const supported = points.join(", ");
  const limits: ContentLimits = { ...DEFAULT_CONTENT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`limit ${name} must be a whole number of at least 1, got ${value}`);
  }
  const limiter = options.rateLimit ? createRateLimiter(options.rateLimit) : undefined;

  function json(status: number, body: unknown, context: HandlerContext): CoreResponse {
    return { status, headers: answerHeaders(context.requestId), body: JSON.stringify(body) };
  }

  async function receive(request: CoreRequest, context: HandlerContext): Promise<CoreResponse> {
    const auth = verify(request.header("authorization"));
    if (!auth.ok) {
      context.logFields.auth = auth.failure;
      throw new HttpError(401, "unauthorized", auth.message, { "www-authenticate": 'Bearer realm="dify-ext"' });
    }
    if (limiter) {
      const wait = limiter.take(auth.keyIndex);
      if (wait > 0) {
        context.logFields.rateLimited = true;
        const seconds = Math.max(1, Math.ceil(wait));
        throw new HttpError(429, "rate_limited", `too many requests for this API key; retry after ${seconds} s`, {
          "retry-after": String(seconds),
        });
      }
    }
    const encoding = request.header("content-encoding")?.trim().toLowerCase();
    if (encoding && encoding !== "identity") {
      throw new HttpError(415, "unsupported_media_type", `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed`);
    }
    const contentType = request.header("content-type");
    if (!isJsonContentType(contentType)) {
      throw new HttpError(
        415,
        "unsupported_media_type",
        contentType ? `Content-Type must be application/json, got "${contentType.slice(0, 60)}"` : "Content-Type must be application/json",
      );
    }
    const text = await request.readBody(bodyLimit);
    if (text.trim() === "") throw new HttpError(400, "invalid_json", "the body is empty; expected a JSON object");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "the body is not valid JSON");
    }
    const envelope = parseEnvelope(body);
    context.logFields.point = envelope.point;
    if (envelope.point === "ping") return json(200, pong(), context);
    const handler = handlers[envelope.point];
    if (!handler) {
      const known = isPoint(envelope.point) ? "is not served here" : "is not a Dify extension point";
      throw new HttpError(
        400,
        "unsupported_point",
        `point "${envelope.point.slice(0, 60)}" ${known}; this service answers: ${supported}`,
      );
    }
    const point = envelope.point as HandlerPoint;
    const params = parseParams(point, envelope.params);
    checkContentLimits(params as Record<string, unknown>, limits);
    const reply = await handler(params as never, context);
    return json(200, reply, context);
  }

  async function handle(request: CoreRequest): Promise<CoreResponse> {
    const started = performance.now();
    const given = request.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : nextRequestId();
    const logFields: Record<string, unknown> = {};
    // The request's child logger is made only when a handler logs: most requests never need one.
    let requestLogger: Logger | undefined;
    const context: HandlerContext = {
      requestId,
      get logger() {
        requestLogger ??= logger.child({ reqId: requestId });
        return requestLogger;
      },
      logFields,
    };

    let response: CoreResponse;
    try {
      response = await route(request, context);
    } catch (error) {
      response = errorResponse(error, context);
    }
    if (request.path === receivePath) {
      const elapsed = performance.now() - started;
      const ms = Math.round(elapsed * 100) / 100;
      const line = { reqId: requestId, method: request.method, path: request.path, status: response.status, ms, ...logFields };
      if (response.status >= 500) logger.error(line, "request failed");
      else if (logger.access) logger.access(line);
      else logger.info(line, "request");
      const point = typeof logFields.point === "string" && isPoint(logFields.point) ? logFields.point : "-";
      options.metrics?.observeRequest({ point, status: response.status, seconds: elapsed / 1000, fields: logFields });
    }
    return response;
  }

  async function route(request: CoreRequest, context: HandlerContext): Promise<CoreResponse> {
    if (request.path === receivePath) {
      if (request.method !== "POST") throw methodNotAllowed(request.method, "POST");
      return receive(request, context);
    }
    if (request.path === "/metrics" && options.metricsEndpoint) {
      if (request.method !== "GET" && request.method !== "HEAD") throw methodNotAllowed(request.method, "GET, HEAD");
      const { contentType, body } = await options.metricsEndpoint();
      const headers = answerHeaders(context.requestId);
      headers["content-type"] = contentType;
      return { status: 200, headers, body };
    }
    if (request.path === "/healthz" || request.path === "/readyz") {
      if (request.method !== "GET" && request.method !== "HEAD") throw methodNotAllowed(request.method, "GET, HEAD");
      if (request.path === "/healthz") return json(200, { status: "ok" }, context);
      const ready = options.readiness?.() ?? true;
      return ready === true ? json(200, { status: "ready" }, context) : json(503, { status: "not ready", reason: ready }, context);
    }
    throw new HttpError(404, "not_found", `no route ${request.method} ${request.path.slice(0, 100)}; Dify posts to ${receivePath}`);
  }

  function errorResponse(error: unknown, context: HandlerContext): CoreResponse {
    const headers = answerHeaders(context.requestId);
    if (error instanceof HttpError) {
      Object.assign(headers, error.headers);
      return { status: error.status, headers, body: errorBody(error.code, error.message) };
    }
    if (error instanceof ProtocolError) {
      return { status: 400, headers, body: errorBody("invalid_request", error.message) };
    }
    context.logger.error({ err: error }, "unhandled error");
    return {
      status: 500,
      headers,
      body: errorBody("internal_error", `internal error; the operator can find request ${context.requestId} in the log`),
    };
  }

  return { handle, points, receivePath };
}

function methodNotAllowed(method: string, allow: string): HttpError {
  return new HttpError(405, "method_not_allowed", `method ${method.slice(0, 20)} is not allowed here; use ${allow}`, { allow });
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}
