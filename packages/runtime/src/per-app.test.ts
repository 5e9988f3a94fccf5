import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./env.ts";
import { parsePerAppFile } from "./per-app.ts";

const section = z.strictObject({
  mode: z.enum(["enforce", "shadow"], { error: "expected enforce or shadow" }).optional(),
  units: z.string().optional(),
});

async function problems(text: string): Promise<readonly string[]> {
  try {
    await parsePerAppFile(text, "policy.yaml", section);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the file to be refused");
}

describe("per-app settings files", () => {
  it("reads YAML with a default section and apps by id", async () => {
    const file = await parsePerAppFile(
      'version: "2026-12-01"\ndefault: { mode: enforce }\napps:\n  tutor: { mode: shadow }\n  42: { units: metric }\n',
      "policy.yaml",
      section,
    );
    expect(file.version).toBe("2026-12-01");
    expect(file.defaults).toEqual({ mode: "enforce" });
    expect([...file.apps]).toEqual([
      ["tutor", { mode: "shadow" }],
      ["42", { units: "metric" }],
    ]);
  });

  it("reads JSON, and versions a file without `version` by its content", async () => {
    const a = await parsePerAppFile('{"apps": {"x": {"mode": "shadow"}}}', "p.json", section);
    const b = await parsePerAppFile('{"apps": {"x": {"mode": "enforce"}}}', "p.json", section);
    expect(a.version).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(a.version).not.toBe(b.version);
    expect(a.defaults).toBeUndefined();
  });

  it("keeps app ids that are names of Object.prototype as ordinary ids", async () => {
    const file = await parsePerAppFile(
      '{"apps": {"__proto__": {"mode": "shadow"}, "constructor": {}, "toString": {"units": "x"}}}',
      "p.json",
      section,
    );
    expect([...file.apps.keys()]).toEqual(["__proto__", "constructor", "toString"]);
    expect(file.apps.get("__proto__")).toEqual({ mode: "shadow" });
  });

  it("names the file, the app and the field of every problem", async () => {
    expect(
      await problems("apps:\n  tutor: { mode: strict }\n  'help desk': { mood: 1 }\ndefault: { units: 3 }\n"),
    ).toEqual([
      "policy.yaml: default.units: Invalid input: expected string, received number",
      "policy.yaml: apps.tutor.mode: expected enforce or shadow",
      'policy.yaml: apps."help desk": Unrecognized key: "mood"',
    ]);
  });

  it("refuses what is not a settings file, clearly", async () => {
    expect(await problems("- 1\n- 2\n")).toEqual([
      "policy.yaml: (file): Invalid input: expected object, received array",
    ]);
    expect(await problems("apps: {a: {}, a: {}}")).toEqual([
      "policy.yaml: not valid YAML or JSON: Map keys must be unique",
    ]);
    expect((await problems('{"apps": {')).length).toBeGreaterThan(0);
    expect(await problems("version: 1\nappz: {}\n")).toEqual(['policy.yaml: (file): Unrecognized key: "appz"']);
    expect(await problems(`apps: {"${"x".repeat(201)}": {}}`)).toEqual([
      expect.stringMatching(/must be 1 to 200 characters/),
    ]);
  });

  it("stops an alias bomb instead of expanding it", async () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, i) => {
        const p = String.fromCharCode(97 + i);
        const n = String.fromCharCode(98 + i);
        return `${n}: &${n} [*${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}, *${p}]`;
      }),
      "default: { units: x }",
    ].join("\n");
    expect((await problems(bomb)).join("\n")).toMatch(/alias|Excessive/i);
  });

  it("refuses an empty file (as one truncated to be rewritten is for a moment), and takes {}", async () => {
    for (const text of ["", "\n  \n", "# nothing yet\n"]) {
      expect(await problems(text)).toEqual([
        "policy.yaml: the file is empty (nothing but blanks or comments); write {} for a file that sets nothing, and write the file elsewhere and rename it into place so that it is never read half-written",
      ]);
    }
    for (const text of ["{}", "{}\n", "apps: {}\n"]) {
      const file = await parsePerAppFile(text, "policy.yaml", section);
      expect(file.defaults).toBeUndefined();
      expect(file.apps.size).toBe(0);
    }
  });

  it("refuses a section with nothing after its name, as a file cut off after a line ends", async () => {
    expect(await problems("default:\n")).toEqual(["policy.yaml: default: empty; write {} for no settings of its own"]);
    expect(await problems("apps:\n  tutor: { mode: shadow }\n  helpdesk:\n")).toEqual([
      "policy.yaml: apps.helpdesk: empty; write {} for no settings of its own",
    ]);
    expect(await problems("apps:\n")).toEqual([expect.stringMatching(/^policy\.yaml: apps: /)]);
    const file = await parsePerAppFile("apps:\n  helpdesk: {}\n", "policy.yaml", section);
    expect(file.apps.get("helpdesk")).toEqual({});
  });
});

describe("per-app settings files: app ids and aliases", () => {
  it("refuses an app id named twice once keys are read as the text Dify sends, naming both", async () => {
    expect(await problems('apps:\n  1: { mode: shadow }\n  "1": { mode: enforce }\n')).toEqual([
      'policy.yaml: apps: app id "1" is named twice, as 1 and as "1"',
    ]);
    expect(await problems("apps:\n  tutor: {}\n  'tutor': {}\n")).toEqual([
      "policy.yaml: not valid YAML or JSON: Map keys must be unique",
    ]);
  });

  it("takes a number key only when its text is the app id, and says how to write the others", async () => {
    expect(await problems("apps:\n  1: {}\n  1.0: {}\n  0x1F: {}\n  ~: {}\n")).toEqual([
      'policy.yaml: apps: key 1.0 is read as the number 1, not as the app id "1.0": quote it ("1.0") if that is the app id',
      'policy.yaml: apps: key 0x1F is read as the number 31, not as the app id "0x1F": quote it ("0x1F") if that is the app id',
      'policy.yaml: apps: key ~ is read as the value null, not as the app id "~": quote it ("~") if that is the app id',
    ]);
    const file = await parsePerAppFile('apps:\n  42: {}\n  "1.0": {}\n  true: {}\n', "policy.yaml", section);
    expect([...file.apps.keys()]).toEqual(["42", "1.0", "true"]);
    expect(await problems("apps:\n  ? [a, b]\n  : {}\n")).toEqual([
      "policy.yaml: not usable: a key is a list or a map; keys are text",
    ]);
    expect(await problems("version: &t tutor\napps:\n  *t : {}\n")).toEqual([
      "policy.yaml: apps: an app id must be text, not an alias",
    ]);
  });

  it("refuses 90 aliases of a 100,000-item list quickly, naming the limit", async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => `t${i}`).join(", ");
    const apps = Array.from({ length: 90 }, (_, i) => `  a${i}: { units: *big }`).join("\n");
    const text = `default: { units: &big [${items}] }\napps:\n${apps}\n`;
    const started = performance.now();
    expect(await problems(text)).toEqual([
      "policy.yaml: not usable: its aliases expand it past 16777216 characters, the most a settings file may hold; write out what they share, or share it fewer times",
    ]);
    console.info(`90 aliases of a 100,000-item list refused in ${Math.round(performance.now() - started)} ms`);
  });

  it("takes aliases that share a section, and refuses one inside what it refers to", async () => {
    const file = await parsePerAppFile(
      "default: &base { mode: shadow }\napps:\n  a: *base\n  b: *base\n",
      "policy.yaml",
      section,
    );
    expect(file.apps.get("b")).toEqual({ mode: "shadow" });
    expect(await problems("default: &x { units: [*x] }\n")).toEqual([
      "policy.yaml: not usable: an alias refers to a node that contains it",
    ]);
  });
});
