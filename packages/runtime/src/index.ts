/**
 * What every service runs on, on any runtime: settings from env (`parseEnv`, the shared variables),
 * per-app settings files, the console logger of Workers, the Worker module, and the upstream
 * events metrics count. Node's part (listen, pino, Prometheus, file watching) is `./node`.
 */
export { createConsoleLogger, type LogLevel } from "./console-logger.ts";
export * from "./env.ts";
export {
  APP_ID_MAX_LENGTH,
  describeIssues,
  OTHER_APP,
  PER_APP_FILE_MAX_BYTES,
  type PerAppFile,
  parsePerAppFile,
} from "./per-app.ts";
export type { UpstreamEvent, UpstreamObserver, WebhookEvent, WebhookObserver } from "./upstream.ts";
export { createWorkerModule, receiveOptionsFrom, type WorkerModule, workerEnv } from "./worker.ts";
