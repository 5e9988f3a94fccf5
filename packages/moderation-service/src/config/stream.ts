import {
  DEFAULT_STREAM_CACHE_BYTES,
  DEFAULT_STREAM_CACHE_IDLE_MS,
  type StreamCacheOptions,
} from "@dify-ext/moderation-engines";
import { type Env, integerVar, parseEnv } from "@dify-ext/runtime";
import { z } from "zod";

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;
const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};
/** The most the stream cache may be given. */
const MAX_STREAM_CACHE_BYTES = 4 * 1024 ** 3;
const SIZE_MESSAGE = "expected a size from 0 (no cache) to 4gb, such as 32mb or 1048576";

/** The stream cache's variables (incremental output moderation of streamed answers). */
export const streamEnvSchema = z.object({
  MODERATION_STREAM_CACHE_BYTES: z
    .string()
    .transform((value, ctx) => {
      const match = SIZE.exec(value.trim());
      const bytes = match ? Math.floor(Number(match[1]) * UNITS[(match[2] ?? "b").toLowerCase()]!) : Number.NaN;
      if (!Number.isFinite(bytes) || bytes < 0 || bytes > MAX_STREAM_CACHE_BYTES) {
        ctx.addIssue({ code: "custom", message: SIZE_MESSAGE });
        return z.NEVER;
      }
      return bytes;
    })
    .default(DEFAULT_STREAM_CACHE_BYTES),
  MODERATION_STREAM_CACHE_IDLE_SECONDS: integerVar(DEFAULT_STREAM_CACHE_IDLE_MS / 1000, 1, 86_400),
});

/** The stream cache's settings (`createStreamCache` options). */
export type StreamSettings = Required<Pick<StreamCacheOptions, "maxBytes" | "idleMs">>;

/** Reads the stream cache's variables; throws a `ConfigError` naming each bad one. */
export function readStreamSettings(env: Env): StreamSettings {
  const app = parseEnv(streamEnvSchema, env);
  return { maxBytes: app.MODERATION_STREAM_CACHE_BYTES, idleMs: app.MODERATION_STREAM_CACHE_IDLE_SECONDS * 1000 };
}
