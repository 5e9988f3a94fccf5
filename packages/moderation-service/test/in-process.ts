/**
 * What the service's in-process tests share (src/app.test.ts, src/explain.test.ts): a config read
 * from env as an app's `src/config.ts` reads it, and the app served in the test's own process.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@dify-ext/receive";
import type { RecordedLine } from "@dify-ext/test-support/logger";
import { afterEach } from "vitest";
import { createModerationApp, type ModerationApp, type ModerationAppDeps } from "../src/app.ts";
import { type ModerationConfig, readCommonSettings, readEngineList, readPolicySettings } from "../src/config/index.ts";
import { engineModule } from "../src/engines/index.ts";

/**
 * A config as an app's `src/config.ts` builds it from `env` (with `API_KEYS=key` and the keyword
 * watcher off), for the engines MODERATION_ENGINES names (keywords alone by default).
 */
export function configFrom(key: string, env: Record<string, string>): ModerationConfig {
  const full = { API_KEYS: key, KEYWORDS_WATCH: "false", ...env };
  const engines = Object.fromEntries(
    readEngineList(full, ["keywords"]).map((name) => [name, engineModule(name)!.read(full)]),
  );
  return { common: readCommonSettings(full), port: 0, policy: readPolicySettings(full), engines };
}

/** An app served in-process by {@link inProcessApps}. */
export interface InProcessApp {
  config: ModerationConfig;
  built: ModerationApp;
  url: string;
  receiveUrl: string;
}

/**
 * Serves apps built the way `runModerationService` builds them (with `metrics` when given), in the
 * test's own process, each on a free loopback port; closes every app a test served after it
 * (`afterEach`). Call in a `describe`.
 */
export function inProcessApps(): (
  config: ModerationConfig,
  logger: Logger,
  metrics?: ModerationAppDeps["metrics"],
) => Promise<InProcessApp> {
  const running: Array<{ server: Server; built: ModerationApp }> = [];
  afterEach(async () => {
    for (const { server, built } of running.splice(0)) {
      built.moderation.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return async (config, logger, metrics) => {
    const built = await createModerationApp({ config, logger, metrics });
    const server = createServer(built.app.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    running.push({ server, built });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { config, built, url, receiveUrl: `${url}/api/dify/receive` };
  };
}

/** The lines a recording logger kept, each as JSON text (to search them the way a log is searched). */
export const jsonLines = (lines: readonly RecordedLine[]): string[] => lines.map((line) => JSON.stringify(line));
