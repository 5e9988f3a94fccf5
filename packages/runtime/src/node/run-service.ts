import type { ReceiveOptions } from "@dify-ext/receive";
import type { SharedState } from "@dify-ext/shared-state";
import { type CommonConfig, ConfigError, DEVELOPMENT_API_KEY, type Env } from "../env.ts";
import type { Logger } from "@dify-ext/receive";
import { receiveOptionsFrom } from "../worker.ts";
import { createReceiveApp, type ReceiveApp } from "@dify-ext/receive/koa";
import { listen, type RunningServer } from "./listen.ts";
import { createLogger, loadPretty, resolveLogFormat } from "./logger.ts";
import { createServiceMetrics, type ServiceMetrics } from "./metrics.ts";

export interface ServiceConfig {
  common: CommonConfig;
  port: number;
}

/**
 * What a service says about itself in its one line of state at start-up: whether it does its job
 * (`ok`), in words (`summary`: what it runs, or why it is not doing its job), and fields for the
 * JSON line.
 */
export interface ServiceState {
  ok: boolean;
  summary: string;
  fields?: Record<string, unknown>;
}

/** What `runService` hands an app's `start`: its logger and (unless METRICS=false) its metrics. */
export interface ServiceContext {
  logger: Logger;
  metrics: ServiceMetrics | undefined;
  /** The receive options every app shares (keys, limits, rate limit, logging, metrics, shared state). */
  receiveOptions: Omit<ReceiveOptions, "handlers">;
  /** The state replicas share (SHARED_STATE_URL), when it is set. */
  shared: SharedState | undefined;
}

export interface RunServiceOptions<C extends ServiceConfig> {
  /** Service name, on every log line and metric. */
  name: string;
  /** Reads and validates the env; throws `ConfigError` naming every bad variable. */
  loadConfig: (env: Env) => C | Promise<C>;
  /**
   * Builds the app (loads lists, creates engines); may return a clean-up run after shutdown, and
   * its state for the start-up line (without it the line says the service is ready).
   */
  start: (
    config: C,
    context: ServiceContext,
  ) => Promise<{ app: ReceiveApp; onClose?: () => void | Promise<void>; state?: () => ServiceState }>;
  env?: Env;
}

/**
 * The receive options that come from the shared env vars; with `shared` (SHARED_STATE_URL), the
 * rate-limit buckets are the replicas' shared ones and `/readyz` tells how the store is doing.
 */
export function commonReceiveOptions(
  common: CommonConfig,
  logger: Logger,
  metrics?: ServiceMetrics,
  shared?: SharedState,
): Omit<ReceiveOptions, "handlers"> {
  return {
    ...receiveOptionsFrom(common, logger),
    metrics,
    metricsEndpoint: metrics && common.metrics.port === undefined ? () => metrics.render() : undefined,
    ...(shared && {
      ...(common.rateLimit && { rateLimiter: shared.rateLimiter(common.rateLimit, common.apiKeys) }),
      readyDetail: () => ({ sharedState: shared.status() }),
    }),
  };
}

/** Connects to SHARED_STATE_URL when it is set (the client is loaded only then). */
export async function startSharedState(
  common: CommonConfig,
  logger: Logger,
  metrics?: ServiceMetrics,
): Promise<SharedState | undefined> {
  if (!common.sharedState) return undefined;
  const { createSharedState } = await import("@dify-ext/shared-state");
  return createSharedState({ ...common.sharedState, logger, observer: metrics });
}

/**
 * The `main` of every app: config → logger and metrics → app → listen, with graceful shutdown on
 * SIGTERM/SIGINT. A bad configuration or a failed start logs one fatal line that says what is wrong
 * and exits with code 1.
 */
export async function runService<C extends ServiceConfig>(options: RunServiceOptions<C>): Promise<RunningServer> {
  const env = options.env ?? process.env;
  // Start-up failures exit at once: their one line is written synchronously, in the format
  // LOG_FORMAT asks for if it is a valid one (the config, read next, reports it if not).
  const asked = env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty" ? env.LOG_FORMAT : "auto";
  // Where the lines go, for LOG_FORMAT=auto: a terminal, or `pnpm dev` (the `dev` script's output).
  const where = { terminal: process.stdout.isTTY === true, devScript: env.npm_lifecycle_event === "dev" };
  const bootLogger = createLogger({
    name: options.name,
    sync: true,
    pretty: await loadPretty(resolveLogFormat(asked, where)),
  });
  let logger: Logger | undefined;
  const fail = (fields: object, message: string): never => {
    logger?.flush?.();
    bootLogger.fatal(fields, message);
    process.exit(1);
  };
  let config: C;
  try {
    config = await options.loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return fail({ problems: error.problems }, error.message);
    throw error;
  }
  const { common } = config;
  logger = createLogger({
    name: options.name,
    level: common.logLevel,
    pretty: await loadPretty(resolveLogFormat(common.logFormat, where)),
  });
  const metrics = common.metrics.enabled ? createServiceMetrics({ service: options.name }) : undefined;
  let shared: SharedState | undefined;
  try {
    shared = await startSharedState(common, logger, metrics);
    const receiveOptions = commonReceiveOptions(common, logger, metrics, shared);
    const { app, onClose, state } = await options.start(config, { logger, metrics, receiveOptions, shared });
    const metricsServer =
      metrics && common.metrics.port !== undefined
        ? await serveMetrics(receiveOptions, metrics, common.metrics.port, common.host, logger)
        : undefined;
    const running = await listen(app, {
      port: config.port,
      host: common.host,
      logger,
      maxConnections: common.maxConnections,
      onConnectionDropped: metrics ? () => metrics.connectionDropped() : undefined,
      onClose: async () => {
        await metricsServer?.close();
        await onClose?.();
        await shared?.close();
      },
    });
    if (common.usingDevelopmentKey) {
      logger.warn(
        { developmentKey: DEVELOPMENT_API_KEY },
        `no API_KEYS set: using the development key "${DEVELOPMENT_API_KEY}" (refused with NODE_ENV=production)`,
      );
    }
    logger.info(
      { endpoint: `${running.url}/api/dify/receive` },
      "register this endpoint in Dify (Settings → API Extension)",
    );
    // The one line that says whether the service does its job: last, so it is what a person sees.
    const now = state?.() ?? { ok: true, summary: "ready" };
    const line = { state: now.ok ? "ok" : "degraded", port: running.port, ...now.fields };
    const message = `${options.name} on port ${running.port}: ${now.summary}`;
    if (now.ok) logger.info(line, message);
    else logger.warn(line, message);
    logger.flush?.();
    return running;
  } catch (error) {
    if (error instanceof ConfigError) return fail({ problems: error.problems }, error.message);
    return fail({ err: error instanceof Error ? error.message : String(error) }, `${options.name} failed to start`);
  }
}

/**
 * Serves `GET /metrics` alone on its own port (METRICS_PORT), e.g. one not exposed to Dify: the same
 * Koa app with only the metrics route.
 */
async function serveMetrics(
  receiveOptions: Omit<ReceiveOptions, "handlers">,
  metrics: ServiceMetrics,
  port: number,
  host: string,
  logger: Logger,
) {
  const app = createReceiveApp({
    ...receiveOptions,
    handlers: {},
    routes: ["metrics"],
    metricsOpen: true,
    metricsEndpoint: () => metrics.render(),
  });
  const running = await listen(app, { port, host, logger, handleSignals: false, announce: false });
  logger.info({ metricsPort: running.port }, "metrics served on their own port");
  return running;
}
