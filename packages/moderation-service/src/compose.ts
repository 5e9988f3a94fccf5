import {
  createModerationPolicy,
  createStreamCache,
  type ModerationEngine,
  type StreamCache,
} from "@dify-ext/moderation-engines";
import { ConfigError, type Logger, type UpstreamObserver } from "@dify-ext/server";
import { ENGINE_NAMES, type EngineName } from "./config/engines.ts";
import type { EngineSettings, ModerationConfig } from "./config/read.ts";
import { type ModerationHandlers, moderationHandlers } from "./handlers.ts";

/** What an engine factory gets besides the engine's settings. */
export interface EngineContext {
  logger: Logger;
  /** Told about upstream calls and cache lookups (Prometheus under Node). */
  observer?: UpstreamObserver;
  /** Marks the app not ready: `GET /readyz` answers 503 with the reason. */
  notReady(reason: string): void;
  /** Registers clean-up run at shutdown (file watchers, signal handlers). */
  onClose(close: () => void): void;
}

/** Builds one engine from its settings. */
export type EngineFactory<S> = (settings: S, context: EngineContext) => ModerationEngine | Promise<ModerationEngine>;

/**
 * The engines an entry can build, by name. Under Node each factory loads its engine's module on
 * first use; a Worker imports only the factories of the engines it bundles.
 */
export type EngineFactories = { [N in EngineName]?: EngineFactory<NonNullable<EngineSettings[N]>> };

/** A moderation app's parts, ready for the Koa app (Node) or the fetch handler (Workers). */
export interface Moderation {
  /** The engines, in the order they run. */
  engines: readonly ModerationEngine[];
  /** Handlers for the server's `handlers` option. */
  handlers: ModerationHandlers;
  /** `true` when every engine can judge, otherwise why not (for `GET /readyz`). */
  readiness(): true | string;
  /** Stops file watchers and the like. */
  close(): void;
  /** Saved judgements of streamed output texts (its `stats()` show its size). */
  streamCache: StreamCache;
}

/**
 * The one composition of every moderation app, under Node and on Workers: engines (cheapest first)
 * from their settings → policy → the two moderation handlers. An engine the config names but the
 * entry cannot build (a Worker that does not bundle it) is a `ConfigError` naming MODERATION_ENGINES.
 */
export async function composeModeration(
  config: Pick<ModerationConfig, "common" | "policy" | "engines" | "stream">,
  factories: EngineFactories,
  options: { logger: Logger; observer?: UpstreamObserver },
): Promise<Moderation> {
  const notReady: string[] = [];
  const closers: Array<() => void> = [];
  const context: EngineContext = {
    logger: options.logger,
    observer: options.observer,
    notReady: (reason) => notReady.push(reason),
    onClose: (close) => closers.push(close),
  };
  const close = () => {
    for (const closer of closers.splice(0)) closer();
  };
  const build = <N extends EngineName>(name: N, settings: NonNullable<EngineSettings[N]>) => {
    const factory = factories[name] as EngineFactory<NonNullable<EngineSettings[N]>> | undefined;
    if (!factory) {
      const available = ENGINE_NAMES.filter((known) => factories[known] !== undefined);
      throw new ConfigError([
        `MODERATION_ENGINES: engine "${name}" is not built into this app; it has ${available.join(", ")}`,
      ]);
    }
    return factory(settings, context);
  };

  const engines: ModerationEngine[] = [];
  try {
    for (const name of ENGINE_NAMES) {
      const settings = config.engines[name];
      if (settings !== undefined) engines.push(await build(name, settings));
    }
  } catch (error) {
    close();
    throw error;
  }
  options.logger.info({ engines: engines.map((engine) => engine.name) }, "moderation engines ready");
  // Saved judgements of streamed answers, so each of Dify's calls is judged on what is new.
  const streamCache = createStreamCache(config.stream);
  const policy = createModerationPolicy({ ...config.policy, engines, streamCache });
  return {
    engines,
    handlers: moderationHandlers(policy, { logUserText: config.common.logUserText }),
    readiness: () => (notReady.length === 0 ? true : notReady.join("; ")),
    close,
    streamCache,
  };
}
