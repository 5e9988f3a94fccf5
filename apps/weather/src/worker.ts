import {
  ConfigError,
  createConsoleLogger,
  createFetchHandler,
  createReceiveCore,
  type Env,
  errorBody,
  type FetchHandler,
  type LogLevel,
} from "@dify-ext/server";
import { loadConfig } from "./config.ts";
import { weatherHandlers } from "./handlers.ts";
import { createWeatherService } from "./weather/index.ts";

const NAME = "weather";

/** Worker vars and secrets as the string record `loadConfig` reads; NODE_ENV defaults to production. */
function workerEnv(env: Record<string, unknown>): Env {
  const record: Env = {};
  for (const [key, value] of Object.entries(env)) if (typeof value === "string") record[key] = value;
  // A deployed Worker is public: no development key, ever (set API_KEYS as a secret).
  record.NODE_ENV ??= "production";
  return record;
}

/** Config → weather service → the shared core behind the fetch adapter. Throws `ConfigError` on bad vars. */
function build(env: Record<string, unknown>): FetchHandler {
  const config = loadConfig(workerEnv(env));
  const logger = createConsoleLogger({ name: NAME, level: config.common.logLevel as LogLevel });
  const { apiKey, ...settings } = config.weather;
  // The Worker runtime's fetch reaches Open-Meteo; caches live as long as the isolate.
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
  const core = createReceiveCore({
    apiKeys: config.common.apiKeys,
    bodyLimit: config.common.bodyLimit,
    limits: config.common.limits,
    rateLimit: config.common.rateLimit,
    logger,
    handlers: weatherHandlers({ weather, logLevel: config.common.logLevel }),
  });
  return createFetchHandler(core);
}

let ready: FetchHandler | undefined;

/**
 * The weather app as a Cloudflare Worker: the same core, handlers and weather service as under
 * Node, behind the fetch adapter. Configuration comes from Worker vars and secrets (API_KEYS as a
 * secret), read on the first request of an isolate; a bad configuration answers every call with a
 * 500 whose message names the bad variables (Dify shows it to the person registering the tool).
 */
export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    if (!ready) {
      try {
        ready = build(env);
      } catch (error) {
        const message = error instanceof ConfigError ? `${NAME} is misconfigured: ${error.problems.join("; ")}` : `${NAME} failed to start`;
        console.error(JSON.stringify({ level: "fatal", name: NAME, msg: message, err: error instanceof ConfigError ? undefined : String(error) }));
        return new Response(errorBody("misconfigured", message), { status: 500, headers: { "content-type": "application/json; charset=utf-8" } });
      }
    }
    return ready(request);
  },
};
