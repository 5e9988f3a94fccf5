import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKeywordEngine, type KeywordEngine } from "./keyword-engine.ts";
import { KeywordFileError, type KeywordWatchHandle, loadKeywordFiles, watchKeywordFiles } from "./node.ts";

let dir: string;
let handle: KeywordWatchHandle | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keywords-"));
});
afterEach(async () => {
  handle?.close();
  handle = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Replaces a file the way editors do: write a temporary file, then rename it over. */
async function replaceFile(path: string, text: string) {
  const tmp = `${path}.tmp-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const flags = async (engine: KeywordEngine, text: string) =>
  (await engine.moderate([text], { point: "input" }))[0]!.flagged;

describe("loadKeywordFiles", () => {
  it("reads a list's folds, loads the pinyin library for them, and lets `folds` replace them per file", async () => {
    const zh = join(dir, "zh.txt");
    const other = join(dir, "other.txt");
    await writeFile(zh, "# fold: pinyin\n法轮功\n");
    await writeFile(other, "# fold: pinyin\n赌博\n");
    const own = await loadKeywordFiles({ listFiles: [zh, other] });
    expect(own.find("falungong dubo").map((f) => [f.label, f.fold])).toEqual([
      ["法轮功", "pinyin"],
      ["赌博", "pinyin"],
    ]);
    const replaced = await loadKeywordFiles({ listFiles: [zh, other], folds: { [zh]: ["initials"], [other]: [] } });
    expect(replaced.find("falungong flg dubo").map((f) => [f.label, f.fold])).toEqual([["法轮功", "initials"]]);
    expect(replaced.stats.lists.map((list) => list.folds)).toEqual([["initials"], undefined]);
  });

  it("loads list and allow files, naming lists after the files", async () => {
    await writeFile(join(dir, "profanity.txt"), "# match: substring\ncunt\r\n");
    await writeFile(join(dir, "words.txt"), "\uFEFFass\n");
    await writeFile(join(dir, "allow.txt"), "scunthorpe\n");
    const matcher = await loadKeywordFiles({
      listFiles: [join(dir, "profanity.txt"), join(dir, "words.txt")],
      allowFiles: [join(dir, "allow.txt")],
    });
    expect(matcher.find("Scunthorpe class ass").map((f) => [f.label, f.list])).toEqual([["ass", "words"]]);
    expect(matcher.find("cunts").map((f) => f.list)).toEqual(["profanity"]);
    expect(matcher.stats.allowTerms).toBe(1);
  });

  it("names a missing file", async () => {
    const missing = join(dir, "nope.txt");
    await expect(loadKeywordFiles({ listFiles: [missing] })).rejects.toThrow(`keyword file ${missing}: does not exist`);
    await expect(loadKeywordFiles({ listFiles: [missing] })).rejects.toBeInstanceOf(KeywordFileError);
  });

  it("names a directory given as a file", async () => {
    await expect(loadKeywordFiles({ listFiles: [dir] })).rejects.toThrow("is a directory");
  });

  it("names the line of invalid UTF-8", async () => {
    const file = join(dir, "latin1.txt");
    await writeFile(file, Buffer.concat([Buffer.from("ok\nfine\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    await expect(loadKeywordFiles({ listFiles: [file] })).rejects.toThrow(
      `keyword file ${file}: line 3: not valid UTF-8`,
    );
  });

  it("passes on a directive error with the file name and line", async () => {
    const file = join(dir, "bad.txt");
    await writeFile(file, "a\n# match: fuzzy\n");
    await expect(loadKeywordFiles({ listFiles: [file] })).rejects.toThrow(/bad\.txt: keyword list "bad", line 2/);
  });

  it("refuses an empty file list", async () => {
    await expect(loadKeywordFiles({ listFiles: [] })).rejects.toThrow("listFiles must name at least one");
  });
});

describe("watchKeywordFiles", () => {
  it("reloads after a file is replaced, and keeps the old list when the new one is broken", async () => {
    const file = join(dir, "list.txt");
    await writeFile(file, "alpha\n");
    const listFiles = [file];
    const engine = createKeywordEngine({ matcher: await loadKeywordFiles({ listFiles }) });
    const errors: Error[] = [];
    let reloads = 0;
    handle = watchKeywordFiles({
      listFiles,
      engine,
      debounceMs: 50,
      onReload: () => reloads++,
      onError: (e) => errors.push(e),
    });
    expect(await flags(engine, "alpha")).toBe(true);
    expect(await flags(engine, "beta")).toBe(false);

    await replaceFile(file, "alpha\nbeta\n");
    await waitFor(() => flags(engine, "beta"), "the new term to be flagged");
    expect(reloads).toBeGreaterThanOrEqual(1);

    // Break it: the path becomes a directory. The old matcher keeps serving.
    const before = engine.current();
    await rm(file);
    await mkdir(file);
    await waitFor(() => errors.length > 0, "onError");
    expect(errors[0]!.message).toContain(file);
    expect(engine.current()).toBe(before);
    expect(await flags(engine, "beta")).toBe(true);

    // Repair it: reloading resumes.
    await rm(file, { recursive: true });
    await replaceFile(file, "gamma\n");
    await waitFor(() => flags(engine, "gamma"), "the repaired list to load");
    expect(await flags(engine, "alpha")).toBe(false);
  });

  it("keeps the old list when a file is deleted", async () => {
    const file = join(dir, "list.txt");
    await writeFile(file, "alpha\n");
    const engine = createKeywordEngine({ matcher: await loadKeywordFiles({ listFiles: [file] }) });
    const errors: Error[] = [];
    handle = watchKeywordFiles({ listFiles: [file], engine, debounceMs: 50, onError: (e) => errors.push(e) });
    await rm(file);
    await waitFor(() => errors.length > 0, "onError");
    expect(errors[0]).toBeInstanceOf(KeywordFileError);
    expect(errors[0]!.message).toContain("does not exist");
    expect(await flags(engine, "alpha")).toBe(true);
  });

  it("reloads on demand, without watching", async () => {
    const file = join(dir, "list.txt");
    await writeFile(file, "alpha\n");
    const engine = createKeywordEngine({ matcher: await loadKeywordFiles({ listFiles: [file] }) });
    const errors: Error[] = [];
    handle = watchKeywordFiles({ listFiles: [file], engine, watch: false, onError: (e) => errors.push(e) });
    await writeFile(file, "delta\n");
    expect(await flags(engine, "delta")).toBe(false);
    expect(await handle.reload()).toBe(true);
    expect(await flags(engine, "delta")).toBe(true);

    if (process.getuid?.() !== 0) {
      // Unreadable file (not testable as root, who reads anything).
      await chmod(file, 0o000);
      expect(await handle.reload()).toBe(false);
      expect(errors.at(-1)!.message).toContain("permission denied");
      expect(await flags(engine, "delta")).toBe(true);
      await chmod(file, 0o644);
    }
    await writeFile(file, "# match: nonsense\n");
    expect(await handle.reload()).toBe(false);
    expect(errors.at(-1)!.message).toContain("line 1");
    expect(await flags(engine, "delta")).toBe(true);
  });
});
