import { dirname, resolve } from "node:path";
import { ConfigError } from "@dify-ext/runtime";
import type { Logger } from "@dify-ext/receive";
import { readSettingsFile, watchFiles } from "@dify-ext/runtime/node";
import type { Moderation, PolicyFileSource } from "../compose.ts";

/**
 * Reads a policy file under Node: list files it names are relative to its folder. Throws a
 * `ConfigError` naming the file when it cannot be read.
 */
export async function readPolicyFileSource(file: string): Promise<PolicyFileSource> {
  const path = resolve(file);
  const text = await readSettingsFile(file, "MODERATION_POLICY_FILE");
  const folder = dirname(path);
  return { name: file, text, resolvePath: (listFile) => resolve(folder, listFile) };
}

/**
 * Reloads the policy file when it changes (its folder is watched, like keyword lists) and on
 * SIGHUP. A good edit takes effect without a restart; a broken one is logged, naming the file, the
 * app and the field, and the previous policies keep serving. Returns the clean-up.
 */
export function watchPolicyFile(
  file: string,
  moderation: Moderation,
  logger: Logger,
  options: { watch?: boolean; debounceMs?: number } = {},
): { reload(): Promise<boolean>; close(): void } {
  return watchFiles({
    files: [file],
    ...options,
    onHangup: () => logger.info({ policyFile: file }, "SIGHUP: reloading the moderation policy"),
    async load() {
      await moderation.reloadPolicy(await readPolicyFileSource(file));
      return true;
    },
    onError(error) {
      const problems = error instanceof ConfigError ? error.problems : [error.message];
      logger.error({ policyFile: file, problems }, "moderation policy not reloaded; the previous policy keeps serving");
    },
  });
}
