import { runService } from "@dify-ext/server/node";
import { createApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { createWeatherService, DEFAULT_FORECAST_BASE_URL, DEFAULT_GEOCODING_BASE_URL } from "./weather/index.ts";

await runService({
  name: "weather",
  loadConfig,
  async start(config, { logger, metrics }) {
    const { apiKey, ...settings } = config.weather;
    const weather = createWeatherService({ ...config.weather, logger });
    logger.info(
      {
        ...settings,
        geocodingBaseUrl: new URL(settings.geocodingBaseUrl).origin,
        forecastBaseUrl: new URL(settings.forecastBaseUrl).origin,
        apiKeySet: apiKey !== undefined,
      },
      "weather service ready",
    );
    if (apiKey !== undefined) {
      for (const [name, url, free] of [
        ["OPEN_METEO_GEOCODING_URL", settings.geocodingBaseUrl, DEFAULT_GEOCODING_BASE_URL],
        ["OPEN_METEO_FORECAST_URL", settings.forecastBaseUrl, DEFAULT_FORECAST_BASE_URL],
      ] as const) {
        if (url === free) {
          logger.warn(
            { variable: name },
            `OPEN_METEO_API_KEY is set but ${name} is Open-Meteo's free host; paid plans use the customer-… hosts that come with the plan`,
          );
        }
      }
    }
    return { app: createApp({ config, weather, logger, metrics }) };
  },
});
