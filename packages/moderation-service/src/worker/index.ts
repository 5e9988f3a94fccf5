/// <reference path="./keyword-lists-module.d.ts" />
import {
  createConsoleLogger,
  createWorkerModule,
  type Env,
  type LogLevel,
  receiveOptionsFrom,
  type WorkerModule,
} from "@dify-ext/runtime";
import { createFetchHandler, createReceiveCore } from "@dify-ext/receive";
import { composeModeration, type EngineFactories } from "../compose.ts";
import { playgroundRoutes } from "../playground.ts";
import type { ModerationConfig } from "../config/read.ts";

/** A list file's name and text, read at build time. */
export interface BundledList {
  name: string;
  text: string;
}

/** A policy file bundled into a Worker (MODERATION_POLICY_FILE at build time), with the list files it names. */
export interface BundledPolicy {
  name: string;
  text: string;
  /** Each list file's text, keyed by the name the policy gives it. */
  files: Record<string, string>;
}

/** The keyword lists bundled into a Worker (see `dify-ext-worker-lists`). */
export interface BundledKeywordLists {
  lists: BundledList[];
  allow: BundledList[];
  /** True when no KEYWORDS_FILES was set at build time and the sample list was bundled. */
  sample: boolean;
  /** The policy file, when MODERATION_POLICY_FILE was set at build time. */
  policy?: BundledPolicy;
}

/** How a Worker's keyword engine tells a list file of the bundled policy from the env's lists. */
export const BUNDLED_POLICY_PREFIX = "policy:";

export interface ModerationWorkerOptions {
  name: string;
  /** The app's own `loadConfig` (its `src/config.ts`), the same as under Node. */
  loadConfig: (env: Env) => ModerationConfig;
  /**
   * The engines this Worker can build, each from `@dify-ext/moderation-service/worker/<engine>`;
   * the bundle carries only what is imported here. An engine the config names but this Worker
   * does not bundle is a misconfiguration naming MODERATION_ENGINES.
   */
  engines: EngineFactories;
  /** The policy file bundled at build time (`lists.policy` of `dify-ext:keyword-lists`), if any. */
  policy?: BundledPolicy;
}

/**
 * A moderation app as a Cloudflare Worker: the same config, composition, policy and engines as
 * under Node, behind the fetch adapter. Configuration comes from Worker vars and secrets (API_KEYS
 * as a secret), read on the first request of an isolate; a bad configuration answers every call
 * with a 500 whose message names the bad variables (Dify shows it to the person registering the
 * extension).
 */
export function createModerationWorker(options: ModerationWorkerOptions): WorkerModule {
  return createWorkerModule(options.name, async (env) => {
    const config = options.loadConfig(env);
    const logger = createConsoleLogger({ name: options.name, level: config.common.logLevel as LogLevel });
    const { policy } = options;
    const moderation = await composeModeration(config, options.engines, {
      logger,
      ...(policy && {
        policyFile: { name: policy.name, text: policy.text, resolvePath: (file) => `${BUNDLED_POLICY_PREFIX}${file}` },
      }),
    });
    return createFetchHandler(
      createReceiveCore({
        ...receiveOptionsFrom(config.common, logger),
        handlers: moderation.handlers,
        readiness: moderation.readiness,
        // The explain endpoint only: a Worker cannot run esbuild, so the page is served by Node.
        ...(config.common.playground && { extraRoutes: playgroundRoutes(moderation.explain) }),
      }),
    );
  });
}
