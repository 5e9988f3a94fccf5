import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModerationEngine } from "@dify-ext/moderation-engines";
import { type RecordedLine, recordingLogger } from "@dify-ext/test-support/logger";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EngineContext } from "../engine-module.ts";
import { nodeEngineFiles } from "../node-files.ts";
import { type KeywordsSettings, keywords } from "./keywords.ts";

let dir: string;
let closers: Array<() => void>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "keywords-module-"));
  closers = [];
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await rm(dir, { recursive: true, force: true });
});

/** An engine context under Node, as the service gives it, with the lines the engine logs. */
function nodeContext() {
  const recorded: RecordedLine[] = [];
  const logger = recordingLogger(recorded);
  /** Every line so far as JSON, message and fields, to match against. */
  const logged = () => recorded.map((line) => JSON.stringify(line)).join("\n");
  const context: EngineContext = {
    logger,
    files: nodeEngineFiles(logger),
    notReady: () => {},
    onClose: (close) => closers.push(close),
  };
  return { context, logged, recorded };
}

const settings = (listFiles: string[], extra: Partial<KeywordsSettings> = {}): KeywordsSettings => ({
  listFiles,
  allowFiles: [],
  usingSampleList: false,
  ...extra,
});

/** Replaces a file the way editors do: write a temporary file, then rename it over. */
async function replaceFile(path: string, text: string) {
  const tmp = `${path}.tmp-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const flags = async (engine: ModerationEngine, text: string) =>
  (await engine.moderate([text], { point: "input" }))[0]!.flagged;

describe("the keyword engine's module under Node", () => {
  it("loads list and allow files, naming lists after the files", async () => {
    await writeFile(join(dir, "profanity.txt"), "# match: substring\n# category: profanity\ncunt\r\n");
    await writeFile(join(dir, "words.txt"), "\uFEFFass\n");
    await writeFile(join(dir, "allow.txt"), "scunthorpe\n");
    const { context } = nodeContext();
    const engine = await keywords.create(
      settings([join(dir, "profanity.txt"), join(dir, "words.txt")], { allowFiles: [join(dir, "allow.txt")] }),
      context,
    );
    const [verdict] = await engine.moderate(["Scunthorpe class ass cunts"], { point: "input" });
    expect(verdict!.findings.map((finding) => finding.label)).toEqual(["ass", "cunt"]);
    // The lists' categories (a list without a `# category:` line is `other`), and their names as rules.
    expect(verdict!.categories.sort()).toEqual(["other", "profanity"]);
    expect(verdict!.rules?.sort()).toEqual(["profanity", "words"]);
  });

  it("reads a list's folds, loads the pinyin library for them, and lets the policy's folds replace them per file", async () => {
    const zh = join(dir, "zh.txt");
    const other = join(dir, "other.txt");
    await writeFile(zh, "# fold: pinyin\n法轮功\n");
    await writeFile(other, "# fold: pinyin\n赌博\n");
    const { context } = nodeContext();
    const labelsOf = async (engine: ModerationEngine, text: string) =>
      (await engine.moderate([text], { point: "input" }))[0]!.findings.map((f) => [f.label, f.fold]);
    const own = await keywords.create(settings([zh, other]), context);
    expect(await labelsOf(own, "falungong dubo")).toEqual([
      ["法轮功", "pinyin"],
      ["赌博", "pinyin"],
    ]);
    const replaced = await keywords.create(
      settings([zh, other], { folds: { [zh]: ["initials"], [other]: [] } }),
      context,
    );
    expect(await labelsOf(replaced, "falungong flg dubo")).toEqual([["法轮功", "initials"]]);
  });

  it("uses the sample lists when no file is set", async () => {
    const { context, logged } = nodeContext();
    const engine = await keywords.create({ listFiles: [], allowFiles: [], usingSampleList: true }, context);
    expect(await flags(engine, "you are a bitch")).toBe(true);
    expect(logged()).toMatch(/keyword lists loaded \(the sample list/);
  });

  it("names a missing file, a directory, bad UTF-8 and a bad directive, with the file", async () => {
    const { context } = nodeContext();
    const missing = join(dir, "nope.txt");
    await expect(keywords.create(settings([missing]), context)).rejects.toThrow(
      `keyword file ${missing}: does not exist`,
    );
    await expect(keywords.create(settings([dir]), context)).rejects.toThrow("is a directory");
    const latin1 = join(dir, "latin1.txt");
    await writeFile(latin1, Buffer.concat([Buffer.from("ok\nfine\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    await expect(keywords.create(settings([latin1]), context)).rejects.toThrow(
      `keyword file ${latin1}: line 3: not valid UTF-8`,
    );
    const bad = join(dir, "bad.txt");
    await writeFile(bad, "a\n# match: fuzzy\n");
    await expect(keywords.create(settings([bad]), context)).rejects.toThrow(/bad\.txt: keyword list "bad", line 2/);
  });

  it("reloads after a file is replaced, and keeps the old list when the new one is broken or gone", async () => {
    const file = join(dir, "list.txt");
    await writeFile(file, "alpha\n");
    const { context, logged, recorded } = nodeContext();
    const engine = await keywords.create(settings([file]), context);
    expect(await flags(engine, "alpha")).toBe(true);
    expect(await flags(engine, "beta")).toBe(false);

    await replaceFile(file, "alpha\nbeta\n");
    await waitFor(() => flags(engine, "beta"), "the new term to be flagged");
    expect(logged()).toMatch(/keyword lists reloaded/);

    // Break it: the path becomes a directory. The old lists keep serving.
    await rm(file);
    await mkdir(file);
    const failed = () =>
      recorded.find((line) => line.msg === "keyword lists not reloaded; the previous lists keep serving");
    await waitFor(() => failed() !== undefined, "the failed reload's line");
    expect(failed()!.err).toMatch(/is a directory/);
    expect(await flags(engine, "beta")).toBe(true);

    // Repair it: reloading resumes.
    await rm(file, { recursive: true });
    await replaceFile(file, "gamma\n");
    await waitFor(() => flags(engine, "gamma"), "the repaired list to load");
    expect(await flags(engine, "alpha")).toBe(false);
  });

  it("reloads on SIGHUP without watching, and keeps the old list when the new one does not parse", async () => {
    const file = join(dir, "list.txt");
    await writeFile(file, "alpha\n");
    const { context, logged, recorded } = nodeContext();
    const engine = await keywords.create(settings([file], { watch: false }), context);
    await writeFile(file, "delta\n");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await flags(engine, "delta")).toBe(false);
    process.kill(process.pid, "SIGHUP");
    await waitFor(() => flags(engine, "delta"), "the SIGHUP reload");
    expect(logged()).toMatch(/SIGHUP: reloading keyword lists/);

    await writeFile(file, "# match: nonsense\n");
    process.kill(process.pid, "SIGHUP");
    const failed = () =>
      recorded.find((line) => line.msg === "keyword lists not reloaded; the previous lists keep serving");
    await waitFor(() => failed() !== undefined, "the failed reload's line");
    expect(failed()!.err).toContain("line 1");
    expect(await flags(engine, "delta")).toBe(true);
  });
});
