import { DEFAULT_STREAM_CACHE_BYTES, DEFAULT_STREAM_CACHE_IDLE_MS } from "@dify-ext/moderation-engines";
import { problemsOf } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { readStreamSettings } from "./index.ts";

describe("readStreamSettings", () => {
  it("takes the cache's own defaults when unset", () => {
    expect(readStreamSettings({})).toEqual({
      maxBytes: DEFAULT_STREAM_CACHE_BYTES,
      idleMs: DEFAULT_STREAM_CACHE_IDLE_MS,
    });
  });

  it("reads sizes with units, 0 to turn the cache off, and idle seconds", () => {
    expect(readStreamSettings({ MODERATION_STREAM_CACHE_BYTES: "64mb" }).maxBytes).toBe(64 * 1024 * 1024);
    expect(readStreamSettings({ MODERATION_STREAM_CACHE_BYTES: "1048576" }).maxBytes).toBe(1048576);
    expect(readStreamSettings({ MODERATION_STREAM_CACHE_BYTES: "0" }).maxBytes).toBe(0);
    expect(readStreamSettings({ MODERATION_STREAM_CACHE_IDLE_SECONDS: "60" }).idleMs).toBe(60_000);
  });

  it("names bad values", () => {
    for (const bad of ["-1", "lots", "5tb", "5gb"]) {
      const problems = problemsOf(() => readStreamSettings({ MODERATION_STREAM_CACHE_BYTES: bad }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^MODERATION_STREAM_CACHE_BYTES: expected a size from 0/);
    }
    const problems = problemsOf(() => readStreamSettings({ MODERATION_STREAM_CACHE_IDLE_SECONDS: "0" }));
    expect(problems[0]).toMatch(/^MODERATION_STREAM_CACHE_IDLE_SECONDS: expected a whole number from 1 to 86400/);
  });
});
