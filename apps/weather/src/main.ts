import { runService } from "@dify-ext/server/node";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { startWeatherService } from "@dify-ext/weather-service";

await runService({
  name: "weather",
  loadConfig,
  async start(config, { logger, metrics }) {
    const weather = startWeatherService({ ...config.weather, logger }, logger);
    return { app: createApp({ config, weather, logger, metrics }) };
  },
});
