import { describe, expect, it } from "vitest";
import { pythonJsonDumps } from "./dify-client.ts";
import { pythonJsonLoads, pythonRepr } from "./python-json.ts";

// Every expected message below was produced by CPython 3.11/3.12 `json.loads(body.encode())`.
const errors: [string, string][] = [
  ["", "Expecting value: line 1 column 1 (char 0)"],
  ["pong", "Expecting value: line 1 column 1 (char 0)"],
  ["{oops", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ['{"a":1} x', "Extra data: line 1 column 9 (char 8)"],
  ['{"a":}', "Expecting value: line 1 column 6 (char 5)"],
  ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
  ['{"a":1,}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
  ['"abc', "Unterminated string starting at: line 1 column 1 (char 0)"],
  ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
  ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
  ["\n\n  x", "Expecting value: line 3 column 3 (char 4)"],
  ['"a\nb"', "Invalid control character at: line 1 column 3 (char 2)"],
  ['"a\\qb"', "Invalid \\escape: line 1 column 3 (char 2)"],
  ['"a\\u12g4"', "Invalid \\uXXXX escape: line 1 column 4 (char 3)"],
  ['{"a":1', "Expecting ',' delimiter: line 1 column 7 (char 6)"],
  ["[", "Expecting value: line 1 column 2 (char 1)"],
  ["-", "Expecting value: line 1 column 1 (char 0)"],
  ["01", "Extra data: line 1 column 2 (char 1)"],
  ["1.", "Extra data: line 1 column 2 (char 1)"],
  ["nulll", "Extra data: line 1 column 5 (char 4)"],
  ["{1:2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["-Inf", "Expecting value: line 1 column 1 (char 0)"],
  ['["é", 1 2]', "Expecting ',' delimiter: line 1 column 9 (char 8)"],
];

describe("pythonJsonLoads", () => {
  it.each(errors)("%j fails as in Python", (body, message) => {
    expect(() => pythonJsonLoads(new TextEncoder().encode(body))).toThrow(message);
  });

  it("accepts what Python accepts", () => {
    expect(pythonJsonLoads(' {"a": [1, 2.5, true, null, "\\u00e9"]}\n\n')).toEqual({ a: [1, 2.5, true, null, "é"] });
    expect(pythonJsonLoads("NaN")).toBeNaN();
    expect(pythonJsonLoads("-Infinity")).toBe(Number.NEGATIVE_INFINITY);
    expect(pythonJsonLoads(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')]))).toEqual({
      a: 1,
    });
    const parsed = pythonJsonLoads('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("reports bytes that are not UTF-8 as Python does", () => {
    expect(() => pythonJsonLoads(new Uint8Array([0xff, 0x7b, 0x7d]))).toThrow(
      "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
    );
    expect(() => pythonJsonLoads(new Uint8Array([...new TextEncoder().encode('{"a":"'), 0xc3, 0x22, 0x7d]))).toThrow(
      "'utf-8' codec can't decode byte 0xc3 in position 6: invalid continuation byte",
    );
  });
});

describe("pythonRepr and pythonJsonDumps", () => {
  it("prints values as Python's repr()", () => {
    expect(pythonRepr({ data: { result: "pong", x: null, y: true, z: 1.5, q: "it's" } })).toBe(
      `{'data': {'result': 'pong', 'x': None, 'y': True, 'z': 1.5, 'q': "it's"}}`,
    );
    expect(pythonRepr(["a\nb", "back\\slash", "both ' and \""])).toBe(`['a\\nb', 'back\\\\slash', 'both \\' and "']`);
  });

  it("serialises like json.dumps with Python's defaults, as httpx 0.27 sends it", () => {
    expect(pythonJsonDumps({ point: "ping", params: {} })).toBe('{"point": "ping", "params": {}}');
    expect(pythonJsonDumps({ text: "né 你\n", list: [1, 2.5, true, null] })).toBe(
      '{"text": "n\\u00e9 \\u4f60\\n", "list": [1, 2.5, true, null]}',
    );
    expect(pythonJsonDumps("😀")).toBe('"\\ud83d\\ude00"');
  });
});
