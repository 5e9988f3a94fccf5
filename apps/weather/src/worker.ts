import {
  ConfigError,
  createConsoleLogger,
  createWorkerModule,
  type Env,
  type LogLevel,
  receiveOptionsFrom,
} from "@dify-ext/runtime";
import { createFetchHandler, createReceiveCore } from "@dify-ext/receive";
import { loadConfig } from "./config.ts";
import { weatherHandlers } from "./handlers.ts";
import { parseWeatherApps } from "./per-app.ts";
import { startWeatherService } from "@dify-ext/weather-service";

/** Config → weather service → the shared core behind the fetch adapter. Throws `ConfigError` on bad vars. */
async function build(env: Env) {
  const config = loadConfig(env);
  if (config.apps && "file" in config.apps) {
    throw new ConfigError(["WEATHER_APPS_FILE: a Worker has no files; put the file's text in the WEATHER_APPS var"]);
  }
  const apps = config.apps ? await parseWeatherApps(config.apps.text, "WEATHER_APPS") : undefined;
  const logger = createConsoleLogger({ name: "weather", level: config.common.logLevel as LogLevel });
  // The Worker runtime's fetch reaches Open-Meteo; caches live as long as the isolate.
  const weather = startWeatherService({ ...config.weather, logger }, logger);
  const handlers = weatherHandlers({ weather, logLevel: config.common.logLevel, apps: () => apps });
  return createFetchHandler(createReceiveCore({ ...receiveOptionsFrom(config.common, logger), handlers }));
}

/**
 * The weather app as a Cloudflare Worker: the same core, handlers and weather service as under
 * Node, behind the fetch adapter, configured from Worker vars and secrets (API_KEYS as a secret).
 */
export default createWorkerModule("weather", build);
