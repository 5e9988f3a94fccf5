export { createKoaApp, createReceiveApp, type ReceiveApp, receiveCoreOf } from "./koa-adapter.ts";
export { createNodeHandler, readNodeBody } from "./node-adapter.ts";
export { type ListenOptions, listen, type RunningServer } from "./listen.ts";
export { createLogger, REDACTED_PATHS } from "./logger.ts";
export { createServiceMetrics, type ServiceMetrics } from "./metrics.ts";
export {
  commonReceiveOptions,
  type RunServiceOptions,
  runService,
  type ServiceConfig,
  type ServiceContext,
} from "./run-service.ts";
