/// <reference path="./keyword-lists-module.d.ts" />
import { createModerationPolicy, type ModerationEngine, moderationHandlers } from "@dify-ext/moderation-engines";
import {
  ConfigError,
  createConsoleLogger,
  createFetchHandler,
  createReceiveCore,
  createWorkerModule,
  type LogLevel,
  type Logger,
  receiveOptionsFrom,
  type WorkerModule,
} from "@dify-ext/server";
import { type EngineName, loadModerationConfig, type ModerationConfig } from "../config.ts";

/** A list file's name and text, read at build time. */
export interface BundledList {
  name: string;
  text: string;
}

/** The keyword lists bundled into a Worker (see `dify-ext-worker-lists`). */
export interface BundledKeywordLists {
  lists: BundledList[];
  allow: BundledList[];
  /** True when no KEYWORDS_FILES was set at build time and the sample list was bundled. */
  sample: boolean;
}

/** Builds one engine on a Worker from the parsed config. */
export type WorkerEngineFactory = (config: ModerationConfig, logger: Logger) => ModerationEngine | Promise<ModerationEngine>;

export interface ModerationWorkerOptions {
  name: string;
  /**
   * The engines this Worker can run, each from `@dify-ext/moderation-service/worker/<engine>`; the
   * bundle carries only what is imported here. Which of them run: all of them for a single-engine
   * app, or those the `MODERATION_ENGINES` var picks when `selectable` is set.
   */
  engines: Partial<Record<EngineName, WorkerEngineFactory>>;
  /** Let the `MODERATION_ENGINES` var pick among `engines` (the composite app). */
  selectable?: boolean;
}


/**
 * A moderation app as a Cloudflare Worker: the same core, policy and engines as under Node, behind
 * the fetch adapter. Configuration comes from Worker vars and secrets (API_KEYS as a secret), read
 * on the first request of an isolate; a bad configuration answers every call with a 500 whose
 * message names the bad variables (Dify shows it to the person registering the extension).
 */
export function createModerationWorker(options: ModerationWorkerOptions): WorkerModule {
  return createWorkerModule(options.name, async (env) => {
    const available = Object.keys(options.engines) as EngineName[];
    const config = await loadModerationConfig(env, { defaultPort: 0, engines: options.selectable ? undefined : available });
    const logger = createConsoleLogger({ name: options.name, level: config.common.logLevel as LogLevel });
    const engines: ModerationEngine[] = [];
    for (const name of config.engines) {
      const factory = options.engines[name];
      if (!factory) throw new ConfigError([`MODERATION_ENGINES: engine "${name}" is not bundled in this Worker; it has ${available.join(", ")}`]);
      engines.push(await factory(config, logger));
    }
    logger.info({ engines: config.engines }, "moderation engines ready");
    const policy = createModerationPolicy({ ...config.policy, engines });
    const handlers = moderationHandlers(policy, { logUserText: config.common.logUserText });
    return createFetchHandler(createReceiveCore({ ...receiveOptionsFrom(config.common, logger), handlers }));
  });
}
