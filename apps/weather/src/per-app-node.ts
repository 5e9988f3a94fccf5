import { ConfigError } from "@dify-ext/runtime";
import type { Logger } from "@dify-ext/receive";
import { readSettingsFile, watchFiles } from "@dify-ext/runtime/node";
import type { WeatherConfig } from "./config.ts";
import { parseWeatherApps, type WeatherApps } from "./per-app.ts";

async function readAppsFile(file: string): Promise<WeatherApps> {
  return parseWeatherApps(await readSettingsFile(file, "WEATHER_APPS_FILE"), file);
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
    onHangup: () => logger.info({ appsFile: apps.file }, "SIGHUP: reloading the per-app weather settings"),
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
  return { current: () => current, reload: watch.reload, close: watch.close };
}
