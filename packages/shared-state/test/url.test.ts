import { describe, expect, it } from "vitest";
import { parseSharedStateUrl, SharedStateUrlError } from "../src/url.ts";

describe("parseSharedStateUrl", () => {
  it("reads host, port, database, user and password, and redacts the password", () => {
    expect(parseSharedStateUrl("redis://valkey")).toMatchObject({
      tls: false,
      host: "valkey",
      port: 6379,
      db: 0,
      password: undefined,
      redacted: "redis://valkey:6379/0",
    });
    const target = parseSharedStateUrl("rediss://app:p%40ss@cache.internal:6380/3");
    expect(target).toMatchObject({ tls: true, host: "cache.internal", port: 6380, db: 3, username: "app" });
    expect(target.password).toBe("p@ss");
    expect(target.redacted).toBe("rediss://app:***@cache.internal:6380/3");
    expect(parseSharedStateUrl("redis://:secret@[::1]:7000").redacted).toBe("redis://:***@[::1]:7000/0");
    expect(parseSharedStateUrl("redis://:secret@[::1]:7000").host).toBe("::1");
  });

  it.each([
    ["valkey:6379", /redis:\/\/ or rediss:\/\//],
    ["http://valkey:6379", /scheme/],
    ["redis://valkey:6379/cache", /database number/],
    ["redis://valkey:6379/0?tls=true", /no query/],
    ["not a url", /expected a URL/],
  ])("refuses %s with a message that names the problem", (value, message) => {
    expect(() => parseSharedStateUrl(value)).toThrow(SharedStateUrlError);
    expect(() => parseSharedStateUrl(value)).toThrow(message);
  });

  it("never echoes the password in an error", () => {
    for (const value of [
      "redis://:hunter2secret@host/xyz",
      "redis://:hunter2secret@host:1/0?x=1",
      "ftp://:hunter2secret@h",
    ]) {
      try {
        parseSharedStateUrl(value);
        expect.unreachable();
      } catch (error) {
        expect((error as Error).message).not.toContain("hunter2secret");
      }
    }
  });
});
