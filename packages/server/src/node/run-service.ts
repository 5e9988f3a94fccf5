import { type CommonConfig, ConfigError, DEVELOPMENT_API_KEY, type Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import type { ReceiveApp } from "./koa-adapter.ts";
import { listen, type RunningServer } from "./listen.ts";
import { createLogger } from "./logger.ts";

export interface ServiceConfig {
  common: CommonConfig;
  port: number;
}

export interface RunServiceOptions<C extends ServiceConfig> {
  /** Service name, on every log line. */
  name: string;
  /** Reads and validates the env; throws `ConfigError` naming every bad variable. */
  loadConfig: (env: Env) => C | Promise<C>;
  /** Builds the app (loads lists, creates engines); may return a clean-up run after shutdown. */
  start: (config: C, logger: Logger) => Promise<{ app: ReceiveApp; onClose?: () => void | Promise<void> }>;
  env?: Env;
}

/**
 * The `main` of every app: config → logger → app → listen, with graceful shutdown on
 * SIGTERM/SIGINT. A bad configuration or a failed start logs one fatal line that says what is wrong
 * and exits with code 1.
 */
export async function runService<C extends ServiceConfig>(options: RunServiceOptions<C>): Promise<RunningServer> {
  const bootLogger = createLogger({ name: options.name });
  const fail = (fields: object, message: string): never => {
    bootLogger.fatal(fields, message);
    process.exit(1);
  };
  let config: C;
  try {
    config = await options.loadConfig(options.env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail({ problems: error.problems }, error.message);
    throw error;
  }
  const logger = createLogger({ name: options.name, level: config.common.logLevel });
  try {
    const { app, onClose } = await options.start(config, logger);
    const running = await listen(app, { port: config.port, host: config.common.host, logger, onClose });
    if (config.common.usingDevelopmentKey) {
      logger.warn(
        { developmentKey: DEVELOPMENT_API_KEY },
        `no API_KEYS set: using the development key "${DEVELOPMENT_API_KEY}" (refused with NODE_ENV=production)`,
      );
    }
    logger.info({ endpoint: `${running.url}/api/dify/receive` }, "register this endpoint in Dify (Settings → API Extension)");
    return running;
  } catch (error) {
    return fail({ err: error instanceof Error ? error.message : String(error) }, `${options.name} failed to start`);
  }
}
