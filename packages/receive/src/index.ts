/**
 * Dify's receive endpoint, framework-neutral: the rules (`createReceiveCore`), the fetch adapter
 * for Workers, and the types handlers see. The Koa adapter (Node) is `@dify-ext/receive/koa`.
 */
export * from "./core.ts";
export { bodyTooLarge, clip, ERROR_STATUS, type ErrorCode, errorBody, HttpError } from "./errors.ts";
export { createFetchHandler, type FetchHandler, readRequestBody } from "./fetch-adapter.ts";
export { checkContentLimits, type ContentLimits, DEFAULT_CONTENT_LIMITS } from "./limits.ts";
export { type Logger, silentLogger } from "./logger.ts";
export { createRateLimiter, type LocalRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit.ts";
