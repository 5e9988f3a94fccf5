export { createKoaApp, createReceiveApp, readNodeBody } from "./koa-adapter.ts";
export { type ListenOptions, listen, type RunningServer } from "./listen.ts";
export { createLogger, REDACTED_PATHS } from "./logger.ts";
