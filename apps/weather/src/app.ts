import { type Logger, silentLogger } from "@dify-ext/receive";
import { commonReceiveOptions, type ServiceMetrics, type SharedState } from "@dify-ext/runtime/node";
import { createReceiveApp, type ReceiveApp } from "@dify-ext/receive/koa";
import type { WeatherConfig } from "./config.ts";
import { weatherHandlers } from "./handlers.ts";
import type { WeatherApps } from "./per-app.ts";
import type { WeatherService } from "@dify-ext/weather-service";

export interface WeatherAppDeps {
  /** The shared settings (keys, limits, log level); the weather settings live in `weather`. */
  config: Pick<WeatherConfig, "common">;
  /** The weather service answering lookups (built from `config.weather` by `main`, or by a test). */
  weather: WeatherService;
  logger?: Logger;
  /** Prometheus metrics from `runService` (requests, Open-Meteo calls, cache use); none in tests. */
  metrics?: ServiceMetrics;
  /** Per-app settings now in force (WEATHER_APPS_FILE / WEATHER_APPS), if any. */
  apps?: () => WeatherApps | undefined;
  /** The state replicas share (SHARED_STATE_URL): the rate-limit buckets, and its state in `/readyz`. */
  shared?: SharedState;
}

/**
 * The weather app under Node: the shared receive endpoint answering Dify's
 * `app.external_data_tool.query` (and `ping`) with the handlers the Worker uses too (see
 * `handlers.ts`). The moderation points are not served and get a 400 naming the points that are.
 */
export function createApp({ config, weather, logger, metrics, apps, shared }: WeatherAppDeps): ReceiveApp {
  return createReceiveApp({
    ...commonReceiveOptions(config.common, logger ?? silentLogger, metrics, shared),
    handlers: weatherHandlers({ weather, logLevel: config.common.logLevel, upstream: metrics, apps }),
  });
}
