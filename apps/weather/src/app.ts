import { externalDataResult } from "@dify-ext/protocol";
import { type Logger, silentLogger, type UpstreamObserver } from "@dify-ext/server";
import { commonReceiveOptions, createReceiveApp, type ReceiveApp, type ServiceMetrics } from "@dify-ext/server/node";
import type { WeatherConfig } from "./config.ts";
import { placeFromInputs, type WeatherAnswer, type WeatherService } from "./weather/index.ts";

export interface WeatherAppDeps {
  /** The shared settings (keys, limits, log level); the weather settings live in `weather`. */
  config: Pick<WeatherConfig, "common">;
  /** The weather service answering lookups (built from `config.weather` by `main`, or by a test). */
  weather: WeatherService;
  logger?: Logger;
  /** Prometheus metrics from `runService` (requests, Open-Meteo calls, cache use); none in tests. */
  metrics?: ServiceMetrics;
}

const DEBUG_LEVELS = new Set(["debug", "trace"]);

/**
 * The weather app: the shared receive endpoint answering Dify's `app.external_data_tool.query`
 * (and `ping`). Every lookup answers 200 with `{"result": "<one sentence or report>"}`: an unknown
 * place, a missing input or a failing Open-Meteo becomes a sentence the model can pass on, because
 * any error of this call fails the end user's whole message in Dify. The moderation points are
 * not served and get a 400 naming the points that are.
 */
export function createApp({ config, weather, logger, metrics }: WeatherAppDeps): ReceiveApp {
  // The place is end-user text: it goes into the access log only when the operator asks for debug logs.
  const logPlace = DEBUG_LEVELS.has(config.common.logLevel);
  const variable = weather.settings.locationVariable;
  return createReceiveApp({
    ...commonReceiveOptions(config.common, logger ?? silentLogger, metrics),
    handlers: {
      "app.external_data_tool.query": async (params, context) => {
        const answer = await weather.respondDetailed({ inputs: params.inputs, query: params.query });
        const fields = context.logFields;
        fields.outcome = answer.outcome;
        if (answer.cache.geocoding) fields.geocodingCache = answer.cache.geocoding;
        if (answer.cache.forecast) fields.forecastCache = answer.cache.forecast;
        if (answer.failure) {
          fields.upstream = `open-meteo-${answer.failure.upstream}`;
          fields.upstreamFailure = answer.failure.kind;
          if (answer.failure.status !== undefined) fields.upstreamStatus = answer.failure.status;
        }
        if (logPlace) fields.place = placeFromInputs(params.inputs, variable)?.slice(0, 200) ?? null;
        if (metrics) reportUpstream(metrics, answer);
        return externalDataResult(answer.result);
      },
    },
  });
}

/**
 * Cache lookups and the Open-Meteo calls this request made itself (a `miss`): a request that
 * joined another's call (`inflight`) counts as a cache hit and did not call upstream.
 */
function reportUpstream(metrics: UpstreamObserver, answer: WeatherAnswer): void {
  for (const step of ["geocoding", "forecast"] as const) {
    const status = answer.cache[step];
    if (status === undefined) continue;
    const upstream = `open-meteo-${step}`;
    metrics.observeUpstream({ kind: "cache", cache: upstream, hit: status !== "miss" });
    if (status !== "miss") continue;
    const failed = answer.failure?.upstream === step;
    const outcome = !failed ? "ok" : answer.failure?.kind === "timeout" ? "timeout" : "error";
    metrics.observeUpstream({ kind: "call", upstream, outcome });
  }
}
