export * from "./core.ts";
export * from "./env.ts";
export { bodyTooLarge, errorBody, HttpError } from "./errors.ts";
export { type Logger, silentLogger } from "./logger.ts";
