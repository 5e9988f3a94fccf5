import { appDirOf } from "@dify-ext/test-support/app-process";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";
import { startFakeOpenMeteo } from "@dify-ext/test-support/fake-open-meteo";
import { expect } from "vitest";

const POINT = "app.external_data_tool.query";

fuzzAppSuite({
  title: "weather under hostile input, against a fake Open-Meteo",
  name: "weather",
  appDir: appDirOf(import.meta.url),
  runs: 4000,
  upstream: () => startFakeOpenMeteo(),
  env: (fake) => ({
    OPEN_METEO_GEOCODING_URL: fake.url,
    OPEN_METEO_FORECAST_URL: fake.url,
    WEATHER_TIMEOUT_MS: "2000",
  }),
  points: ["ping", POINT],
  moreProblems: (point, reply) => {
    const problems: string[] = [];
    const result = (reply as { result?: unknown }).result;
    if (point === POINT && typeof result === "string" && (result.length === 0 || result.length > 600)) {
      problems.push(`result of ${result.length} characters; expected 1 to 600`);
    }
    // The fake upstream is healthy: a tool that hit an internal error has a bug, as a 500 would.
    if (typeof result === "string" && result.includes("the weather tool hit an internal error")) {
      problems.push("the weather tool hit an internal error");
    }
    return problems;
  },
  upstreamRequests: (fake) => fake.calls.geocoding,
  note: (fake) =>
    `upstream requests ${JSON.stringify({ geocoding: fake.calls.geocoding, forecast: fake.calls.forecast })}`,
  afterStorm: {
    point: POINT,
    params: { app_id: "a", tool_variable: "weather", inputs: { location: "Paris" }, query: "" },
    reply: {
      result: expect.stringMatching(
        /^Current weather in Paris, Île-de-France, France \(local time Sat 4 Jul 14:15 CEST\): 22\.4°C[\s\S]*Weather data by Open-Meteo\.com \(CC BY 4\.0\)\.$/,
      ),
    },
  },
});
