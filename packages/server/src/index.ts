export * from "./core.ts";
export * from "./env.ts";
export { bodyTooLarge, clip, ERROR_STATUS, type ErrorCode, errorBody, HttpError } from "./errors.ts";
export { type Logger, silentLogger } from "./logger.ts";
export { checkContentLimits, type ContentLimits, DEFAULT_CONTENT_LIMITS } from "./limits.ts";
export { createRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit.ts";
export type { UpstreamEvent, UpstreamObserver } from "./upstream.ts";
export { createConsoleLogger, type LogLevel } from "./console-logger.ts";
export { createFetchHandler, type FetchHandler, readRequestBody } from "./fetch-adapter.ts";
export { createWorkerModule, receiveOptionsFrom, type WorkerModule, workerEnv } from "./worker.ts";
export {
  APP_ID_MAX_LENGTH,
  describeIssues,
  OTHER_APP,
  PER_APP_FILE_MAX_BYTES,
  type PerAppFile,
  parsePerAppFile,
} from "./per-app.ts";
