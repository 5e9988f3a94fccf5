import { mkdir, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { logRecords, startupFailure } from "@dify-ext/test-support/app-process";
import { startProcessForSuite } from "@dify-ext/test-support/app-suite";
import type { ReceiveTarget } from "@dify-ext/test-support/dify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, KEY } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const STRICT = "0f8fad5b-d9cb-469f-a165-70867728950e";
const LIGHT = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const PILOT = "pilot";
const USER_TEXT = "a-user-sentence-nobody-should-log";

const policy = (lightList: string) => `
version: v1
default:
  engines: [keywords]
  keywords: { files: [lists/base.txt] }
apps:
  ${STRICT}:
    engines: [keywords, obscenity]
    keywords: { files: [lists/base.txt, lists/strict.txt] }
    input: { action: mask }
  ${LIGHT}:
    keywords: { files: [${lightList}] }
    input: { preset_response: "Light: not here." }
  ${PILOT}:
    mode: shadow
    keywords: { files: [lists/new.txt] }
`;

const moderate = (app: ReceiveTarget, appId: string | undefined, query: string) =>
  call(app, "app.moderation.input", { ...(appId !== undefined && { app_id: appId }), inputs: {}, query });

/** Asks until `check` holds; counts attempts, so a slow machine only waits longer. */
async function eventually(check: () => Promise<boolean>, attempts = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe("per-app policies in the running composite app (MODERATION_POLICY_FILE)", () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dify-ext-policies-"));
    await mkdir(join(dir, "lists"));
    await writeFile(join(dir, "lists", "base.txt"), "forbidden\n");
    await writeFile(join(dir, "lists", "strict.txt"), "homework answers\n");
    await writeFile(join(dir, "lists", "light.txt"), "spoiler\n");
    await writeFile(join(dir, "lists", "new.txt"), "lottery\n");
    file = join(dir, "policy.yaml");
    await writeFile(file, policy("lists/light.txt"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const app = startProcessForSuite({
    cwd: appDir,
    env: () => ({ API_KEYS: KEY, MODERATION_ENGINES: "keywords,obscenity", MODERATION_POLICY_FILE: file }),
  });

  it("gives two app ids different verdicts for the same text, and an unknown one the default", async () => {
    const text = "no homework answers and no spoiler";
    expect(await moderate(app, STRICT, text)).toEqual({
      flagged: true,
      action: "overridden",
      inputs: {},
      query: "no **************** and no spoiler",
    });
    expect(await moderate(app, LIGHT, text)).toEqual({
      flagged: true,
      action: "direct_output",
      preset_response: "Light: not here.",
    });
    expect(await moderate(app, "an-app-the-file-does-not-name", text)).toEqual({
      flagged: false,
      action: "direct_output",
    });
    expect(await moderate(app, undefined, "forbidden")).toMatchObject({ flagged: true, action: "direct_output" });
  });

  it("answers not flagged in shadow mode, writes an audit line without user text, and counts it", async () => {
    expect(await moderate(app, PILOT, `${USER_TEXT} won the lottery`)).toEqual({
      flagged: false,
      action: "direct_output",
    });
    let audit: Record<string, unknown> | undefined;
    expect(
      await eventually(async () => {
        audit = logRecords(app).find((line) => line.audit === "verdict" && line.appId === PILOT);
        return audit !== undefined;
      }),
    ).toBe(true);
    expect(audit).toMatchObject({
      msg: "moderation verdict",
      app: PILOT,
      point: "input",
      verdict: "block",
      mode: "shadow",
      engines: ["keywords"],
      terms: ["lottery"],
      policyVersion: "v1",
      reqId: expect.any(String),
    });
    const output = app.output.join("\n");
    expect(output).not.toContain(USER_TEXT);
    expect(output).not.toContain(KEY);

    const metrics = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await metrics.text()).toMatch(
      /dify_ext_verdicts_total\{engine="keywords",verdict="block",app="pilot",mode="shadow",service="moderation"\} 1/,
    );
  });

  it("takes a good edit without a restart, and keeps the old policy when an edit is broken", async () => {
    expect(await moderate(app, LIGHT, "lottery")).toMatchObject({ flagged: false });
    // Replaced by rename, as editors and config managers do.
    await writeFile(`${file}.tmp`, policy("lists/new.txt"));
    await rename(`${file}.tmp`, file);
    expect(await eventually(async () => (await moderate(app, LIGHT, "lottery")).flagged === true)).toBe(true);

    await writeFile(`${file}.tmp`, policy("lists/new.txt").replace("mode: shadow", "mode: loud"));
    await rename(`${file}.tmp`, file);
    expect(
      await eventually(async () =>
        logRecords(app).some(
          (line) => line.msg === "moderation policy not reloaded; the previous policy keeps serving",
        ),
      ),
    ).toBe(true);
    const refused = logRecords(app).find(
      (line) => line.msg === "moderation policy not reloaded; the previous policy keeps serving",
    );
    expect(refused?.problems).toEqual([`${file}: apps.pilot.mode: expected enforce or shadow`]);
    expect(await moderate(app, LIGHT, "lottery")).toMatchObject({ flagged: true });
    expect(await moderate(app, PILOT, "lottery")).toEqual({ flagged: false, action: "direct_output" });
  });

  it("keeps the old policy while the file is truncated in place and written 0.6 s later", async () => {
    const text = "no homework answers here";
    expect(await moderate(app, STRICT, text)).toMatchObject({ flagged: true });
    const reloads = () => logRecords(app).filter((line) => line.msg === "moderation policy reloaded").length;
    const refusals = () =>
      logRecords(app).filter(
        (line) => line.msg === "moderation policy not reloaded; the previous policy keeps serving",
      );
    const reloadsBefore = reloads();
    const refusalsBefore = refusals().length;
    // Asked without pause from the truncation until the rewritten file is in place.
    const verdicts: unknown[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) verdicts.push((await moderate(app, STRICT, text)).flagged);
    })();
    try {
      await truncate(file, 0);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await writeFile(file, policy("lists/new.txt"));
      expect(await eventually(async () => reloads() > reloadsBefore)).toBe(true);
    } finally {
      polling = false;
      await poller;
    }
    expect(verdicts.length).toBeGreaterThan(5);
    expect(verdicts.filter((flagged) => flagged !== true)).toEqual([]);
    const refused = refusals().slice(refusalsBefore);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]?.problems).toEqual([expect.stringMatching(/^.*policy\.yaml: the file is empty/)]);
  });
});

describe("a broken policy file at start-up", () => {
  /** Starts the app with a policy file of this name and text; resolves with the error it stopped with. */
  async function startupError(name: string, text: string): Promise<{ error: string; file: string }> {
    const dir = await mkdtemp(join(tmpdir(), "dify-ext-policies-"));
    const file = join(dir, name);
    await writeFile(file, text);
    const error = await startupFailure({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_POLICY_FILE: file } });
    await rm(dir, { recursive: true, force: true });
    return { error, file };
  }

  it("stops the app with a message naming the file, the app and the field", async () => {
    const { error } = await startupError(
      "policy.json",
      JSON.stringify({ apps: { helpdesk: { input: { action: "hide" } } } }),
    );
    expect(error).toMatch(/exited with code 1/);
    expect(error).toContain("apps.helpdesk.input.action: expected block, mask, shadow or pass");
  });

  it("stops the app when the file is empty, naming the file", async () => {
    const { error, file } = await startupError("policy.yaml", "");
    expect(error).toMatch(/exited with code 1/);
    expect(error).toContain(`${file}: the file is empty`);
  });
});
