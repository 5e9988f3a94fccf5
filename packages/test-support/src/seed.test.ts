import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { propertyRuns, propertySettings, propertyTimeout } from "./seed.ts";

let logged: string[];
beforeEach(() => {
  logged = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void logged.push(line));
  for (const name of ["FUZZ_SEED", "FUZZ_RUNS", "FUZZ_SCALE"]) vi.stubEnv(name, "");
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("propertySettings", () => {
  it("gives each property its own fixed seed and its CI runs by default, and logs both", () => {
    const first = propertySettings("a property", { runs: 300 });
    expect(propertySettings("a property", { runs: 300 }).seed).toBe(first.seed);
    expect(propertySettings("another property", { runs: 300 }).seed).not.toBe(first.seed);
    expect(first.numRuns).toBe(300);
    expect(logged[0]).toBe(`property "a property": seed ${first.seed} (fixed), 300 runs`);
  });

  it("takes the seed from FUZZ_SEED, or draws a new one for FUZZ_SEED=random", () => {
    vi.stubEnv("FUZZ_SEED", "-42");
    expect(propertySettings("a property", { runs: 10 }).seed).toBe(-42);
    vi.stubEnv("FUZZ_SEED", "random");
    const seeds = new Set([1, 2, 3].map(() => propertySettings("a property", { runs: 10 }).seed));
    expect(seeds.size).toBe(3);
    expect(logged.at(-1)).toMatch(/^property "a property": seed \d+ \(random\), 10 runs$/);
    vi.stubEnv("FUZZ_SEED", "12abc");
    expect(() => propertySettings("a property", { runs: 10 })).toThrow(
      'FUZZ_SEED must be a whole number or "random", got "12abc"',
    );
  });

  it("runs FUZZ_RUNS times, else the CI runs times FUZZ_SCALE, and grows the timeout with them", () => {
    vi.stubEnv("FUZZ_RUNS", "25");
    expect(propertySettings("a property", { runs: 3000 }).numRuns).toBe(25);
    vi.stubEnv("FUZZ_RUNS", "");
    vi.stubEnv("FUZZ_SCALE", "2.5");
    expect(propertyRuns(400)).toBe(1000);
    expect(propertyTimeout(120_000, 400)).toBe(300_000);
    vi.stubEnv("FUZZ_RUNS", "10");
    expect(propertyRuns(400)).toBe(10);
    vi.stubEnv("FUZZ_RUNS", "0");
    expect(() => propertyRuns(400)).toThrow('FUZZ_RUNS must be a whole number of at least 1, got "0"');
  });

  it("checks the examples first", () => {
    const seen: number[] = [];
    fc.assert(
      fc.property(fc.integer(), (n) => void seen.push(n)),
      propertySettings("examples first", { runs: 5, examples: [[123_456_789]] }),
    );
    expect(seen[0]).toBe(123_456_789);
    expect(seen).toHaveLength(5);
  });

  it("fails with the seed, the path and the command that replays them, and the property's own error as cause", () => {
    vi.stubEnv("FUZZ_SEED", "7");
    const settings = propertySettings("fails above 1000", { runs: 200 });
    let failure = new Error("the property did not fail");
    try {
      fc.assert(
        fc.property(fc.nat(), (n) => {
          if (n > 1000) throw new Error(`${n} is too big`);
        }),
        settings,
      );
    } catch (error) {
      failure = error as Error;
    }
    expect(failure.message.split("\n")[0]).toMatch(
      /^property "fails above 1000" failed with seed 7, path "[\d:]+"; replay: FUZZ_SEED=7 FUZZ_RUNS=200 pnpm --filter @dify-ext\/test-support exec vitest run src\/seed\.test\.ts$/,
    );
    expect(failure.message).toContain("Counterexample: [1001]");
    expect((failure.cause as Error).message).toBe("1001 is too big");
  });
});
