export { createKoaApp, createReceiveApp, type ReceiveApp, readNodeBody } from "./koa-adapter.ts";
export { type ListenOptions, listen, type RunningServer } from "./listen.ts";
export { createLogger, REDACTED_PATHS } from "./logger.ts";
export { type RunServiceOptions, runService, type ServiceConfig } from "./run-service.ts";
