import { OTHER_APP, type PerAppFile, parsePerAppFile } from "@dify-ext/runtime";
import {
  checkWeatherSetting,
  type RespondOptions,
  type ResolvedSettings,
  type WeatherSettingName,
} from "@dify-ext/weather-service";
import { z } from "zod";

/** A field of a per-app section, checked against the service's own settings table like the env var is. */
function setting<N extends WeatherSettingName>(name: N, base: z.ZodType) {
  return base
    .transform((value, ctx): ResolvedSettings[N] => {
      const checked = checkWeatherSetting(name, value);
      if (checked.ok) return checked.value;
      ctx.addIssue({ code: "custom", message: checked.problem });
      return z.NEVER;
    })
    .optional();
}

/**
 * One section of the weather app's per-app file (WEATHER_APPS_FILE or WEATHER_APPS): the
 * settings that belong to a Dify app rather than to the deployment. Strict: a misspelt field is an
 * error.
 */
export const weatherSectionSchema = z
  .strictObject({
    units: setting("units", z.string()),
    language: setting("language", z.string()),
    forecast_days: setting("forecastDays", z.number()),
    location_variable: setting("locationVariable", z.string()),
  })
  .transform(
    (section): RespondOptions => ({
      ...(section.units !== undefined && { units: section.units }),
      ...(section.language !== undefined && { language: section.language }),
      ...(section.forecast_days !== undefined && { forecastDays: section.forecast_days }),
      ...(section.location_variable !== undefined && { locationVariable: section.location_variable }),
    }),
  );

/** Per-app weather settings, each app's over `default` (over the env's, which the service holds). */
export interface WeatherApps {
  version: string;
  /** The options one call gets, and its metrics label (the app id when named, else `other`). */
  select(appId: string | undefined): { options: RespondOptions; app: string };
  apps: number;
}

/** Parses a per-app weather file; throws a `ConfigError` naming the file, the app and the field. */
export async function parseWeatherApps(text: string, source: string): Promise<WeatherApps> {
  const file: PerAppFile<RespondOptions> = await parsePerAppFile(text, source, weatherSectionSchema);
  const defaults = file.defaults ?? {};
  const apps = new Map<string, { options: RespondOptions; app: string }>();
  for (const [appId, options] of file.apps) apps.set(appId, { options: { ...defaults, ...options }, app: appId });
  const other = { options: defaults, app: OTHER_APP };
  return {
    version: file.version,
    select: (appId) => (appId === undefined ? other : (apps.get(appId) ?? other)),
    apps: apps.size,
  };
}
