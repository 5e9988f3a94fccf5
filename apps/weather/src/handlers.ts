import { externalDataResult } from "@dify-ext/protocol";
import type { PointHandlers } from "@dify-ext/receive";
import type { UpstreamObserver } from "@dify-ext/runtime";
import { placeFromInputs, type WeatherAnswer, type WeatherService } from "@dify-ext/weather-service";
import type { WeatherApps } from "./per-app.ts";

export interface WeatherHandlerOptions {
  weather: WeatherService;
  /** The app's log level: the place (end-user text) is logged only at debug or trace. */
  logLevel: string;
  /** Told about Open-Meteo calls and cache use (Prometheus under Node; none on Workers). */
  upstream?: UpstreamObserver;
  /** Per-app settings now in force (they can be reloaded), if the app has any. */
  apps?: () => WeatherApps | undefined;
}

const DEBUG_LEVELS = new Set(["debug", "trace"]);

/**
 * The weather app's point handlers, shared by the Node app and the Worker: every lookup answers
 * `{"result": "<one sentence or report>"}`; an unknown place, a missing input or a failing
 * Open-Meteo becomes a sentence the model can pass on, because any error of this call fails the
 * end user's whole message in Dify.
 */
export function weatherHandlers({ weather, logLevel, upstream, apps }: WeatherHandlerOptions): PointHandlers {
  const logPlace = DEBUG_LEVELS.has(logLevel);
  return {
    "app.external_data_tool.query": async (params, context) => {
      const selected = apps?.()?.select(params.app_id);
      const options = selected?.options ?? {};
      const answer = await weather.respondDetailed({ inputs: params.inputs, query: params.query }, options);
      const fields = context.logFields;
      if (selected) fields.app = selected.app;
      const variable = options.locationVariable ?? weather.settings.locationVariable;
      fields.outcome = answer.outcome;
      if (answer.cache.geocoding) fields.geocodingCache = answer.cache.geocoding;
      if (answer.cache.forecast) fields.forecastCache = answer.cache.forecast;
      if (answer.failure) {
        fields.upstream = `open-meteo-${answer.failure.upstream}`;
        fields.upstreamFailure = answer.failure.kind;
        if (answer.failure.status !== undefined) fields.upstreamStatus = answer.failure.status;
      }
      if (logPlace) fields.place = placeFromInputs(params.inputs, variable)?.slice(0, 200) ?? null;
      if (upstream) reportUpstream(upstream, answer);
      return externalDataResult(answer.result);
    },
  };
}

/**
 * Cache lookups and the Open-Meteo calls this request made itself (a `miss`): a request that
 * joined another's call (`inflight`) counts as a cache hit and did not call upstream.
 */
function reportUpstream(observer: UpstreamObserver, answer: WeatherAnswer): void {
  for (const step of ["geocoding", "forecast"] as const) {
    const status = answer.cache[step];
    if (status === undefined) continue;
    const upstream = `open-meteo-${step}`;
    observer.observeUpstream({ kind: "cache", cache: upstream, hit: status !== "miss" });
    if (status !== "miss") continue;
    const failed = answer.failure?.upstream === step;
    const outcome = !failed ? "ok" : answer.failure?.kind === "timeout" ? "timeout" : "error";
    observer.observeUpstream({ kind: "call", upstream, outcome });
  }
}
