import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError, bundleApp, README_HEADER } from "../src/index.ts";

const weatherDir = fileURLToPath(new URL("../../../apps/weather", import.meta.url));

describe("bundleApp's output folder", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "dify-ext-bundle-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("refuses to empty a folder that holds something else, and leaves it alone", async () => {
    const out = join(root, "precious");
    await mkdir(out);
    await writeFile(join(out, "notes.txt"), "keep me");
    await expect(bundleApp({ appDir: weatherDir, outDir: out })).rejects.toThrow(
      /not empty and holds no earlier bundle/,
    );
    expect(await readdir(out)).toEqual(["notes.txt"]);
  });

  it("refuses a folder that contains the app", async () => {
    // A throw-away app, so that a broken check could only ever empty a temporary folder.
    const parent = join(root, "parent");
    const appDir = join(parent, "app");
    await mkdir(join(appDir, "src"), { recursive: true });
    await writeFile(join(appDir, "package.json"), JSON.stringify({ name: "@dify-ext/throw-away" }));
    await writeFile(join(appDir, "src/main.ts"), "console.log('hi');\n");
    await expect(bundleApp({ appDir, outDir: parent })).rejects.toBeInstanceOf(BundleError);
    await expect(bundleApp({ appDir, outDir: appDir })).rejects.toThrow(/contains the app itself/);
    expect((await readdir(appDir)).sort()).toEqual(["package.json", "src"]);
  });

  it("names a missing entry or a folder that is not an app", async () => {
    await expect(bundleApp({ appDir: weatherDir, outDir: join(root, "x"), entry: "src/nope.ts" })).rejects.toThrow(
      /entry src\/nope.ts not found/,
    );
    await expect(bundleApp({ appDir: root, outDir: join(root, "y") })).rejects.toThrow(/no package.json/);
  });

  it("replaces an earlier bundle, dropping files that are no longer produced", async () => {
    const out = join(root, "weather");
    const first = await bundleApp({ appDir: weatherDir, outDir: out });
    expect(await readFile(join(out, "README.txt"), "utf8")).toMatch(new RegExp(`^${README_HEADER}`));
    await writeFile(join(out, "stale-chunk.mjs"), "");
    const second = await bundleApp({ appDir: weatherDir, outDir: out });
    expect(await readdir(out)).not.toContain("stale-chunk.mjs");
    expect(second.files.map((file) => file.path).sort()).toEqual(first.files.map((file) => file.path).sort());
    expect(second.bytes).toBe(second.files.reduce((sum, file) => sum + file.bytes, 0));
    expect(second.packages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^koa@/), expect.stringMatching(/^lru-cache@/)]),
    );
    expect(second.packages.some((id) => id.startsWith("@dify-ext/"))).toBe(false);
  }, 60_000);
});
