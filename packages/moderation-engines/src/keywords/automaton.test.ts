import { describe, expect, it } from "vitest";
import { Automaton, PackedAutomaton } from "./automaton.ts";
import { mulberry32 } from "@dify-ext/test-support/random";

function units(s: string): Uint16Array {
  const u = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function scanAll(patterns: string[], text: string): string[] {
  const ids = new Int32Array(patterns.length);
  const a = new Automaton(patterns, ids);
  const byId = new Map<number, string>();
  for (const [i, p] of patterns.entries()) byId.set(ids[i]!, p);
  const out: string[] = [];
  a.scan(units(text), text.length, (id, end) => {
    const p = byId.get(id)!;
    out.push(`${end - p.length}-${end}:${p}`);
  });
  return out.sort();
}

function bruteForce(patterns: string[], text: string): string[] {
  const out = new Set<string>();
  for (const p of new Set(patterns)) {
    for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1)) out.add(`${i}-${i + p.length}:${p}`);
  }
  return [...out].sort();
}

describe("Automaton", () => {
  it("reports every overlapping occurrence", () => {
    expect(scanAll(["he", "she", "his", "hers"], "ushers")).toEqual(["1-4:she", "2-4:he", "2-6:hers"]);
  });

  it("works on UTF-16 code units, surrogate pairs included", () => {
    expect(scanAll(["😀a", "猫"], "x😀a猫")).toEqual(["1-4:😀a", "4-5:猫"]);
  });

  it("gives duplicate patterns one id", () => {
    const ids = new Int32Array(3);
    const a = new Automaton(["ab", "cd", "ab"], ids);
    expect(a.patternCount).toBe(2);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("agrees with a brute-force search on random patterns and texts", () => {
    const rand = mulberry32(42);
    const alphabet = "abc猫狗😀";
    const pick = (n: number) => {
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      return s;
    };
    for (let round = 0; round < 200; round++) {
      const patterns = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => pick(1 + Math.floor(rand() * 4)));
      const text = pick(60);
      expect(scanAll(patterns, text)).toEqual(bruteForce(patterns, text));
    }
  });

  it("scans with a pad before and after the text, so a padded pattern matches at the pad or the text's ends", () => {
    const patterns = [" ab ", " ab", "b ", "c"];
    const ids = new Int32Array(patterns.length);
    const a = new PackedAutomaton(new Automaton(patterns, ids));
    const found = (text: string) => {
      const out: string[] = [];
      a.scanPadded(units(text), text.length, 0x20, (id, end) => out.push(`${end}:${patterns[ids.indexOf(id)]}`));
      return out.sort();
    };
    // Offsets are into the text: a match that takes in the pad after it ends at length + 1.
    expect(found("ab")).toEqual(["2: ab", "3: ab ", "3:b "]);
    expect(found("xab abx c")).toEqual(["4:b ", "6: ab", "9:c"]);
    const rand = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: 20 }, () => "ab c"[Math.floor(rand() * 4)]).join("");
      const padded = bruteForce(patterns, ` ${text} `).map((hit) => {
        const [range, pattern] = hit.split(":");
        return `${Number(range!.split("-")[1]) - 1}:${pattern}`;
      });
      expect(found(text)).toEqual(padded.sort());
    }
  });

  it("scans packed and padded as the automaton scans the padded text: the same calls in the same order", () => {
    const rand = mulberry32(11);
    // More than 32 codes, so that codes share a bit of a state's child set.
    const alphabet = " abcdefghijklmnopqrstuvwxyz0123456789猫狗😀";
    const pick = (n: number) => {
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      return s;
    };
    for (let round = 0; round < 300; round++) {
      const patterns = Array.from({ length: 1 + Math.floor(rand() * 200) }, () => pick(1 + Math.floor(rand() * 6)));
      const automaton = new Automaton(patterns, new Int32Array(patterns.length));
      const packed = new PackedAutomaton(automaton);
      // Random text, or patterns run together: deep states, long failure chains, many outputs.
      const text = rand() < 0.5 ? pick(200) : patterns.slice(0, 40).join(pick(1));
      const got: number[] = [];
      packed.scanPadded(units(text), text.length, 0x20, (id, end) => got.push(id, end));
      // The reference: the unpacked automaton over a copy with the pads written in, its offsets
      // moved back by the pad before (where nothing may end).
      const padded = units(` ${text} `);
      const want: number[] = [];
      automaton.scan(padded, padded.length, (id, end) => {
        if (end > 1) want.push(id, end - 1);
      });
      expect(got).toEqual(want);
    }
  });

  it("rejects an empty pattern", () => {
    expect(() => new Automaton([""], new Int32Array(1))).toThrow(RangeError);
  });
});
