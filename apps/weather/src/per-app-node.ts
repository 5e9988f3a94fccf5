import { readFile } from "node:fs/promises";
import { ConfigError, type Logger, PER_APP_FILE_MAX_BYTES } from "@dify-ext/server";
import { watchFiles } from "@dify-ext/server/node";
import type { WeatherConfig } from "./config.ts";
import { parseWeatherApps, type WeatherApps } from "./per-app.ts";

async function readAppsFile(file: string): Promise<WeatherApps> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > PER_APP_FILE_MAX_BYTES) throw new Error(`larger than ${PER_APP_FILE_MAX_BYTES} bytes`);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([`WEATHER_APPS_FILE: cannot read ${file}: ${reason}`]);
  }
  return parseWeatherApps(text, file);
}

/**
 * The weather app's per-app settings under Node: WEATHER_APPS (the text) read once, or
 * WEATHER_APPS_FILE read at start and again when it changes or on SIGHUP. A broken edit is logged
 * (naming the file, the app and the field) and the previous settings keep serving.
 */
export async function startWeatherApps(
  apps: WeatherConfig["apps"],
  logger: Logger,
): Promise<{ current(): WeatherApps | undefined; reload(): Promise<boolean>; close(): void }> {
  if (apps === undefined) return { current: () => undefined, reload: async () => false, close() {} };
  if ("text" in apps) {
    const parsed = await parseWeatherApps(apps.text, "WEATHER_APPS");
    return { current: () => parsed, reload: async () => false, close() {} };
  }
  let current = await readAppsFile(apps.file);
  logger.info({ appsFile: apps.file, version: current.version, apps: current.apps }, "per-app weather settings loaded");
  const watch = watchFiles({
    files: [apps.file],
    async load() {
      current = await readAppsFile(apps.file);
      logger.info(
        { appsFile: apps.file, version: current.version, apps: current.apps },
        "per-app weather settings reloaded",
      );
      return true;
    },
    onError(error) {
      const problems = error instanceof ConfigError ? error.problems : [error.message];
      logger.error(
        { appsFile: apps.file, problems },
        "per-app weather settings not reloaded; the previous ones keep serving",
      );
    },
  });
  const onHangup = () => void watch.reload();
  process.on("SIGHUP", onHangup);
  return {
    current: () => current,
    reload: watch.reload,
    close() {
      process.off("SIGHUP", onHangup);
      watch.close();
    },
  };
}
