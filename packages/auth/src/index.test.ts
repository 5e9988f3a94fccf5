import { describe, expect, it } from "vitest";
import { ApiKeyConfigError, createKeyVerifier, parseKeyList } from "./index.ts";

describe("createKeyVerifier", () => {
  const verify = createKeyVerifier(["first-key-123", "second-key-456"]);

  it("accepts each configured key, so keys can be rotated", () => {
    expect(verify("Bearer first-key-123")).toEqual({ ok: true, keyIndex: 0 });
    expect(verify("Bearer second-key-456")).toEqual({ ok: true, keyIndex: 1 });
  });

  it("matches the scheme case-insensitively", () => {
    expect(verify("bearer first-key-123")).toMatchObject({ ok: true });
    expect(verify("BEARER first-key-123")).toMatchObject({ ok: true });
  });

  it("rejects a missing header", () => {
    expect(verify(undefined)).toMatchObject({ ok: false, failure: "missing" });
    expect(verify("")).toMatchObject({ ok: false, failure: "missing" });
  });

  it("rejects another scheme", () => {
    expect(verify("Basic Zmlyc3Qta2V5LTEyMw==")).toMatchObject({ ok: false, failure: "scheme" });
    expect(verify("first-key-123")).toMatchObject({ ok: false, failure: "scheme" });
    expect(verify("Bearer first-key-123 extra")).toMatchObject({ ok: false, failure: "scheme" });
  });

  it("rejects a wrong key, a prefix of a key, and a key with extra characters", () => {
    for (const token of ["wrong-key-000", "first-key-12", "first-key-1234", "FIRST-KEY-123"]) {
      expect(verify(`Bearer ${token}`)).toMatchObject({ ok: false, failure: "key" });
    }
  });

  it("never puts the key in a failure message", () => {
    const results = [verify("Bearer first-key-12"), verify("Token first-key-123"), verify(undefined)];
    for (const result of results) {
      expect(JSON.stringify(result)).not.toContain("first-key");
    }
  });
});

describe("constant-time comparison, by construction", () => {
  it("does the same work for every token: every key compared, always as two blocks of the same fixed size", () => {
    const comparisons: Array<[number, number]> = [];
    const verify = createKeyVerifier(["first-key-123", "a-much-longer-second-key-0123456789", "third"], {
      compare: (presented, expected) => {
        comparisons.push([presented.length, expected.length]);
        return Buffer.compare(presented, expected) === 0;
      },
    });
    const tokens = [
      "x", // far shorter than any key
      "first-key-12", // a prefix of a key
      "first-key-124", // same length, differs in the last character
      "first-key-123", // the first key
      "third", // the last key
      "y".repeat(10_000), // far longer than any key
    ];
    for (const token of tokens) {
      comparisons.length = 0;
      verify(`Bearer ${token}`);
      expect(comparisons).toEqual([
        [258, 258],
        [258, 258],
        [258, 258],
      ]);
    }
  });
});

describe("key configuration", () => {
  it("refuses keys shorter than 5 characters, as Dify does", () => {
    expect(() => createKeyVerifier(["abcd"])).toThrow(ApiKeyConfigError);
    expect(() => createKeyVerifier(["abcd"])).toThrow(/at least 5/);
    expect(() => createKeyVerifier(["abcd"])).not.toThrow(/abcd/);
    expect(() => createKeyVerifier(["abcde"])).not.toThrow();
  });

  it("tells a key from the same key with trailing zero bytes, and never matches an over-long token", () => {
    const verify = createKeyVerifier(["abcde"]);
    expect(verify("Bearer abcde\u0000")).toMatchObject({ ok: false });
    expect(verify(`Bearer ${"x".repeat(300)}`)).toMatchObject({ ok: false });
    expect(() => createKeyVerifier(["k".repeat(257)])).toThrow(/longer than 256 bytes/);
  });

  it("refuses an empty key list and keys with whitespace", () => {
    expect(() => createKeyVerifier([])).toThrow(/no API key/);
    expect(() => createKeyVerifier(["abc def"])).toThrow(/whitespace/);
  });

  it("parses a comma-separated list", () => {
    expect(parseKeyList(" one-key , two-key,,")).toEqual(["one-key", "two-key"]);
    expect(parseKeyList("")).toEqual([]);
  });
});
