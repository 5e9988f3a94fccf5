import { runService } from "@dify-ext/runtime/node";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { startWeatherApps } from "./per-app-node.ts";
import { startWeatherService } from "@dify-ext/weather-service";

await runService({
  name: "weather",
  loadConfig,
  async start(config, { logger, metrics, shared }) {
    const weather = startWeatherService({ ...config.weather, logger }, logger);
    const apps = await startWeatherApps(config.apps, logger);
    return { app: createApp({ config, weather, logger, metrics, apps: apps.current, shared }), onClose: apps.close };
  },
});
