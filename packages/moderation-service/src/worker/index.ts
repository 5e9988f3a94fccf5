/// <reference path="./worker-files-module.d.ts" />
import { createFetchHandler, createReceiveCore } from "@dify-ext/receive";
import {
  ConfigError,
  createConsoleLogger,
  createWorkerModule,
  type LogLevel,
  receiveOptionsFrom,
  type WorkerModule,
} from "@dify-ext/runtime";
import { composeModeration } from "../compose.ts";
import type { ModerationAppDefinition } from "../config/app.ts";
import type { EngineFiles } from "../engine-module.ts";
import { playgroundRoutes } from "../playground.ts";

/**
 * What `dify-ext-worker-files` bundles into a Worker at build time (a Worker has no file system):
 * the file-naming variables as they were set for the build, and the text of every file the app
 * reads with them, keyed by the name the settings give it (a file a bundled policy file names:
 * `policy:<name>`).
 */
export interface WorkerBundle {
  /** MODERATION_POLICY_FILE and the engines' file variables (KEYWORDS_FILES, ...) as set at build time. */
  env: Record<string, string>;
  files: Record<string, string>;
}

/** How a file a bundled policy file names is keyed in the bundle. */
export const BUNDLED_POLICY_PREFIX = "policy:";

/** The bundle's files as the engines read them; nothing is watched (a Worker's files never change). */
export function bundledFiles(bundle: WorkerBundle): EngineFiles {
  return {
    async read(file) {
      const text = bundle.files[file];
      if (text === undefined) {
        throw new Error(`${file}: was not bundled into this Worker; set it when building (dify-ext-worker-files)`);
      }
      return text;
    },
    watch: () => ({ reload: async () => false, close() {} }),
  };
}

/**
 * A moderation app as a Cloudflare Worker: the same definition, config, composition, policy and
 * engines as under Node, behind the fetch adapter. Configuration comes from Worker vars and secrets
 * (API_KEYS as a secret) over the variables the bundle was built with, read on the first request of
 * an isolate; a bad configuration answers every call with a 500 whose message names the bad
 * variables (Dify shows it to the person registering the extension). The bundle carries only the
 * engines `app` names.
 */
export function createModerationWorker(app: ModerationAppDefinition, bundle: WorkerBundle): WorkerModule {
  return createWorkerModule(app.name, async (env) => {
    const config = app.loadConfig({ ...bundle.env, ...env });
    const logger = createConsoleLogger({ name: app.name, level: config.common.logLevel as LogLevel });
    const files = bundledFiles(bundle);
    let policyFile: { name: string; text: string; resolvePath: (file: string) => string } | undefined;
    if (config.policyFile !== undefined) {
      const text = bundle.files[config.policyFile];
      if (text === undefined) {
        throw new ConfigError([
          `MODERATION_POLICY_FILE: ${config.policyFile} was not bundled into this Worker; set it when building`,
        ]);
      }
      policyFile = { name: config.policyFile, text, resolvePath: (file) => `${BUNDLED_POLICY_PREFIX}${file}` };
    }
    const moderation = await composeModeration(config, app.engines, {
      logger,
      files,
      ...(policyFile && { policyFile }),
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
