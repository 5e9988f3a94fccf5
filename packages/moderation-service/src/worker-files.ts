/**
 * dify-ext-worker-files CONFIG_MODULE: bundles the files a moderation app reads into its Worker at
 * build time (a Worker has no file system). wrangler runs it as the build command of each app
 * ("dify-ext-worker-files src/config.ts"). It builds the moderation of the app once, as the Worker
 * will (config from the environment of the build, the policy file, every engine), reading files
 * from disk, so a list or policy file that does not parse fails the build with the message the
 * service would log; every file read is written, with the file-naming variables, to
 * .worker/files.js in the current folder, which wrangler.jsonc aliases to dify-ext:worker-files.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "@dify-ext/receive";
import { ConfigError, createConsoleLogger } from "@dify-ext/runtime";
import { readSettingsFile, readTextFile } from "@dify-ext/runtime/node";
import { composeModeration } from "./compose.ts";
import type { ModerationAppDefinition } from "./config/app.ts";
import type { EngineFiles } from "./engine-module.ts";
import { ENGINES } from "./engines/index.ts";
import { BUNDLED_POLICY_PREFIX, type WorkerBundle } from "./worker/index.ts";

/**
 * What the engines say while the build checks them: what they loaded (lists and their terms), and
 * errors; not the warnings about secrets the build does not have (the Worker has them).
 */
function buildLogger(name: string): Logger {
  const logger = createConsoleLogger({ name: `${name} (build)`, level: "info" });
  const quiet: Logger = { ...logger, warn: () => {}, child: () => quiet };
  return quiet;
}

async function bundleFiles(app: ModerationAppDefinition, env: NodeJS.ProcessEnv): Promise<WorkerBundle> {
  const variables = ["MODERATION_POLICY_FILE", ...ENGINES.flatMap((module) => module.fileVariables ?? [])];
  const bundled: WorkerBundle = { env: {}, files: {} };
  for (const name of variables) {
    const value = env[name]?.trim();
    if (value) bundled.env[name] = value;
  }
  // Checked as the Worker will read it, but in development mode: the build has no production secrets.
  const config = app.loadConfig({ ...env, NODE_ENV: "development" });
  const policyPath = config.policyFile;
  const policyFolder = policyPath === undefined ? "" : dirname(resolve(policyPath));
  const files: EngineFiles = {
    async read(file) {
      const path = file.startsWith(BUNDLED_POLICY_PREFIX)
        ? resolve(policyFolder, file.slice(BUNDLED_POLICY_PREFIX.length))
        : file;
      const text = await readTextFile(path);
      bundled.files[file] = text;
      return text;
    },
    watch: () => ({ reload: async () => false, close() {} }),
  };
  let policyFile: { name: string; text: string; resolvePath: (file: string) => string } | undefined;
  if (policyPath !== undefined) {
    const text = await readSettingsFile(policyPath, "MODERATION_POLICY_FILE");
    bundled.files[policyPath] = text;
    policyFile = { name: policyPath, text, resolvePath: (file) => `${BUNDLED_POLICY_PREFIX}${file}` };
  }
  const moderation = await composeModeration(config, app.engines, {
    logger: buildLogger(app.name),
    files,
    ...(policyFile && { policyFile }),
  });
  moderation.close();
  return bundled;
}

const [configModule] = process.argv.slice(2);
try {
  if (!configModule) throw new Error("usage: dify-ext-worker-files <config module of the app, such as src/config.ts>");
  const { app } = (await import(pathToFileURL(resolve(configModule)).href)) as { app?: ModerationAppDefinition };
  if (!app?.loadConfig) throw new Error(`${configModule} exports no app made by defineModerationApp`);
  const bundle = await bundleFiles(app, process.env);
  await mkdir(join(process.cwd(), ".worker"), { recursive: true });
  const module = ["export default ", JSON.stringify(bundle), ";\n"].join("");
  await writeFile(join(process.cwd(), ".worker", "files.js"), module);
  const names = Object.keys(bundle.files);
  const bytes = Object.values(bundle.files).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  console.log(
    `files for the ${app.name} Worker: ${names.length === 0 ? "none (the built-in defaults of the engines)" : names.join(", ")}; ${bytes} bytes`,
  );
} catch (error) {
  const message = error instanceof ConfigError ? error.problems.join("\n") : (error as Error).message;
  console.error(`dify-ext-worker-files: ${message}`);
  process.exit(1);
}
