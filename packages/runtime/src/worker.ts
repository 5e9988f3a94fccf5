import type { ReceiveOptions } from "@dify-ext/receive";
import { type CommonConfig, ConfigError, type Env } from "./env.ts";
import { errorBody } from "@dify-ext/receive";
import type { FetchHandler } from "@dify-ext/receive";
import type { Logger } from "@dify-ext/receive";

/** A Cloudflare Worker module (`export default`), as the Workers runtime calls it. */
export interface WorkerModule {
  fetch(request: Request, env: Record<string, unknown>): Promise<Response>;
}

/**
 * Worker vars and secrets as the string record the config parsers read. A deployed Worker is
 * public, so NODE_ENV defaults to production there: no development key, ever (API_KEYS is a secret).
 */
export function workerEnv(env: Record<string, unknown>): Env {
  const record: Env = {};
  for (const [key, value] of Object.entries(env)) if (typeof value === "string") record[key] = value;
  record.NODE_ENV ??= "production";
  return record;
}

/** The receive options that come from the shared env vars (keys, body limit, limits, rate limit). */
export function receiveOptionsFrom(common: CommonConfig, logger: Logger): Omit<ReceiveOptions, "handlers"> {
  return {
    apiKeys: common.apiKeys,
    bodyLimit: common.bodyLimit,
    limits: common.limits,
    rateLimit: common.rateLimit,
    logger,
  };
}

/**
 * Wraps an app's build (config → engines → core → fetch handler) as a Worker module. The build runs
 * on the first request of an isolate, with the Worker's vars and secrets; a bad configuration
 * answers every call with a 500 whose message names the bad variables, which Dify shows to the
 * person registering the extension, and the next request tries again.
 */
export function createWorkerModule(
  name: string,
  build: (env: Env) => FetchHandler | Promise<FetchHandler>,
): WorkerModule {
  let ready: Promise<FetchHandler> | undefined;
  return {
    async fetch(request, env) {
      ready ??= Promise.resolve().then(() => {
        const vars = workerEnv(env);
        if (vars.SHARED_STATE_URL?.trim()) {
          throw new ConfigError([
            "SHARED_STATE_URL: not supported on Workers (the shared state needs a TCP connection to Valkey or Redis from Node); unset it",
          ]);
        }
        return build(vars);
      });
      let handler: FetchHandler;
      try {
        handler = await ready;
      } catch (error) {
        ready = undefined;
        const message =
          error instanceof ConfigError
            ? `${name} is misconfigured: ${error.problems.join("; ")}`
            : `${name} failed to start`;
        console.error(
          JSON.stringify({
            level: "fatal",
            name,
            msg: message,
            err: error instanceof ConfigError ? undefined : String(error),
          }),
        );
        return new Response(errorBody("misconfigured", message), {
          status: 500,
          headers: { "content-type": "application/json; charset=utf-8" },
        });
      }
      return handler(request);
    },
  };
}
