import { problemsOf, refusedTogether } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DEVELOPMENT_API_KEY, parseAppEnv, parseCommonEnv } from "./env.ts";
import { resolveLogFormat } from "./node/logger.ts";

describe("shared env vars", () => {
  it("has working defaults outside production", () => {
    const config = parseCommonEnv({});
    expect(config).toMatchObject({
      host: "0.0.0.0",
      apiKeys: [DEVELOPMENT_API_KEY],
      usingDevelopmentKey: true,
      bodyLimit: 1024 * 1024,
      limits: { maxInputs: 256, maxTextLength: 262_144, maxDepth: 32 },
      logLevel: "info",
      logUserText: false,
      metrics: { enabled: true, port: undefined },
    });
    expect(config.rateLimit).toBeUndefined();
  });

  it("reads every variable", () => {
    const config = parseCommonEnv({
      API_KEYS: " key-one-123 , key-two-456 ",
      HOST: "127.0.0.1",
      BODY_LIMIT: "512kb",
      MAX_INPUTS: "10",
      MAX_TEXT_LENGTH: "5000",
      MAX_DEPTH: "8",
      RATE_LIMIT_RPS: "2.5",
      RATE_LIMIT_BURST: "10",
      LOG_LEVEL: "debug",
      LOG_USER_TEXT: "yes",
      METRICS: "on",
      METRICS_PORT: "9100",
    });
    expect(config).toMatchObject({
      apiKeys: ["key-one-123", "key-two-456"],
      usingDevelopmentKey: false,
      bodyLimit: 512 * 1024,
      limits: { maxInputs: 10, maxTextLength: 5000, maxDepth: 8 },
      rateLimit: { requestsPerSecond: 2.5, burst: 10 },
      logLevel: "debug",
      logUserText: true,
      metrics: { enabled: true, port: 9100 },
    });
  });

  it("serves the playground outside production unless PLAYGROUND says otherwise, and only on request in production", () => {
    expect(parseCommonEnv({}).playground).toBe(true);
    expect(parseCommonEnv({ PLAYGROUND: "false" }).playground).toBe(false);
    expect(parseCommonEnv({ NODE_ENV: "production", API_KEYS: "key-one-123" }).playground).toBe(false);
    expect(parseCommonEnv({ NODE_ENV: "production", API_KEYS: "key-one-123", PLAYGROUND: "true" }).playground).toBe(
      true,
    );
    expect(problemsOf(() => parseCommonEnv({ PLAYGROUND: "maybe" }))).toEqual(["PLAYGROUND: expected true or false"]);
  });

  it("reads LOG_FORMAT (auto by default) and names a bad one", () => {
    expect(parseCommonEnv({}).logFormat).toBe("auto");
    expect(parseCommonEnv({ LOG_FORMAT: "pretty" }).logFormat).toBe("pretty");
    expect(problemsOf(() => parseCommonEnv({ LOG_FORMAT: "colour" }))).toEqual([
      "LOG_FORMAT: expected auto, json or pretty",
    ]);
  });

  it("writes readable lines with LOG_FORMAT=auto on a terminal and under pnpm dev, JSON elsewhere", () => {
    expect(resolveLogFormat("auto", { terminal: true, devScript: false })).toBe("pretty");
    expect(resolveLogFormat("auto", { terminal: false, devScript: true })).toBe("pretty");
    expect(resolveLogFormat("auto", { terminal: false, devScript: false })).toBe("json");
    expect(resolveLogFormat("json", { terminal: true, devScript: true })).toBe("json");
    expect(resolveLogFormat("pretty", { terminal: false, devScript: false })).toBe("pretty");
  });

  it("requires API_KEYS in production", () => {
    expect(problemsOf(() => parseCommonEnv({ NODE_ENV: "production" }))).toEqual([
      "API_KEYS: required with NODE_ENV=production (comma-separated, at least 5 characters each)",
    ]);
  });

  it("names each bad variable without echoing values", () => {
    const bad = {
      API_KEYS: "abcd",
      BODY_LIMIT: "huge",
      MAX_INPUTS: "-1",
      RATE_LIMIT_RPS: "fast",
      LOG_LEVEL: "loud",
      METRICS: "maybe",
    };
    refusedTogether(parseCommonEnv, bad, { hidden: ["abcd"] });
  });

  it("names a key with whitespace or over 256 bytes at start-up, like a short one", () => {
    const problems = problemsOf(() => parseCommonEnv({ API_KEYS: `good-key-123,${"k".repeat(300)}` }));
    expect(problems).toEqual(["API_KEYS: key #2 is longer than 256 bytes"]);
  });

  it("refuses a burst without a rate", () => {
    expect(problemsOf(() => parseCommonEnv({ RATE_LIMIT_BURST: "5" }))[0]).toMatch(
      /^RATE_LIMIT_BURST: set RATE_LIMIT_RPS/,
    );
  });

  it("reads SHARED_STATE_URL and its timeout, and names a bad one without echoing the password", () => {
    expect(parseCommonEnv({}).sharedState).toBeUndefined();
    expect(parseCommonEnv({ SHARED_STATE_URL: "redis://valkey:6379" }).sharedState).toEqual({
      url: "redis://valkey:6379",
      timeoutMs: 50,
    });
    expect(
      parseCommonEnv({ SHARED_STATE_URL: "rediss://:pw@valkey:6380/2", SHARED_STATE_TIMEOUT_MS: "120" }).sharedState,
    ).toEqual({ url: "rediss://:pw@valkey:6380/2", timeoutMs: 120 });
    const problems = problemsOf(() =>
      parseCommonEnv({ SHARED_STATE_URL: "http://:hunter2pass@valkey:6379", SHARED_STATE_TIMEOUT_MS: "2" }),
    );
    expect(problems).toEqual([
      "SHARED_STATE_URL: expected the scheme redis:// or rediss:// (TLS), got http://",
      "SHARED_STATE_TIMEOUT_MS: expected a whole number from 5 to 1000",
    ]);
    expect(problems.join(" ")).not.toContain("hunter2pass");
  });

  it("reports the app's and the shared variables' problems together", () => {
    const schema = z.object({ WIDGETS: z.coerce.number({ error: "expected a number" }) });
    expect(problemsOf(() => parseAppEnv(schema, { PORT: "x", WIDGETS: "many", BODY_LIMIT: "1tb" }))).toEqual([
      "BODY_LIMIT: expected a size from 64 bytes to 64mb, such as 1mb or 262144",
      "WIDGETS: expected a number",
    ]);
  });
});
