/** The Node part of the runtime: `runService` (every app's `main`), listen, pino logs, Prometheus metrics, file watching. */
export { type ListenOptions, listen, type RunningServer } from "./listen.ts";
export {
  createLogger,
  type LogFormat,
  loadPretty,
  type PrettyFactory,
  REDACTED_PATHS,
  resolveLogFormat,
} from "./logger.ts";
export { createServiceMetrics, type EngineReadiness, type ServiceMetrics } from "./metrics.ts";
export type { SharedState, SharedStateStatus } from "@dify-ext/shared-state";
export {
  commonReceiveOptions,
  startSharedState,
  type RunServiceOptions,
  runService,
  type ServiceConfig,
  type ServiceContext,
  type ServiceState,
} from "./run-service.ts";
export {
  type FileWatch,
  readSettingsFile,
  readTextFile,
  TextFileError,
  type WatchFilesOptions,
  watchFiles,
} from "./watch-files.ts";
