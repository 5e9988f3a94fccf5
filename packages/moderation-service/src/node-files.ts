import type { Logger } from "@dify-ext/receive";
import { readTextFile, watchFiles } from "@dify-ext/runtime/node";
import type { EngineFiles } from "./engine-module.ts";

/**
 * Engines' files under Node: read from disk (paths relative to the working directory), watched with
 * the runtime's one file watcher (folders watched, so rename-into-place works; SIGHUP reloads).
 */
export function nodeEngineFiles(logger: Logger): EngineFiles {
  return {
    read: (file) => readTextFile(file),
    watch(files, reload, options) {
      return watchFiles({
        files,
        watch: options.watch ?? true,
        onHangup: () => logger.info({}, options.hangup),
        async load() {
          await reload();
          return true;
        },
        onError: (error) => logger.error({ err: error.message }, options.failed),
      });
    },
  };
}
