import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AppProcess, difyCall, startAppProcess, startupFailure } from "@dify-ext/test-support/app-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOM_LIST, customListCases, customListFiles, KEY, SAMPLE_ENV, sampleListCases } from "./cases.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

describe("the Node process", () => {
  const lists = customListFiles("keywords-e2e-");
  let sample: AppProcess;
  let custom: AppProcess;
  beforeAll(async () => {
    [sample, custom] = await Promise.all([
      startAppProcess({ cwd: appDir, env: SAMPLE_ENV }),
      startAppProcess({ cwd: appDir, env: lists.env() }),
    ]);
  }, 60_000);
  afterAll(async () => {
    expect(await sample.stop()).toBe(0);
    await custom.stop();
  });

  sampleListCases("Node", () => sample);
  customListCases("Node", () => custom);

  describe("hot reload (Node only: Workers bundle their lists at build time)", () => {
    const query = async (text: string) =>
      (await (
        await difyCall(custom.receiveUrl, KEY, "app.moderation.input", { app_id: "a", inputs: {}, query: text })
      ).json()) as Record<string, unknown>;

    it("reloads a changed list without a restart, and keeps serving the old one when the new one is broken", async () => {
      expect((await query("fresh term")).flagged).toBe(false);
      const next = join(lists.dir(), "block.next");
      await writeFile(next, "badword\nfresh term\n");
      await rename(next, join(lists.dir(), "block.txt"));
      await expect
        .poll(async () => (await query("a fresh term")).flagged, { timeout: 10_000, interval: 100 })
        .toBe(true);

      await rm(join(lists.dir(), "block.txt"));
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await query("a fresh term")).flagged).toBe(true);
      expect(custom.output.join("\n")).toMatch(/not reloaded; the previous lists keep serving/);
      await writeFile(join(lists.dir(), "block.txt"), CUSTOM_LIST);
      await expect
        .poll(async () => (await query("a fresh term")).flagged, { timeout: 10_000, interval: 100 })
        .toBe(false);
    });

    it("reloads on SIGHUP", async () => {
      await writeFile(join(lists.dir(), "allow.txt"), "badwordy\n");
      custom.child.kill("SIGHUP");
      await expect.poll(() => custom.output.some((line) => line.includes("SIGHUP")), { timeout: 5_000 }).toBe(true);
      await expect.poll(async () => (await query("badwordy")).flagged, { timeout: 10_000, interval: 100 }).toBe(false);
      await writeFile(join(lists.dir(), "allow.txt"), "");
    });
  });

  it("serves metrics and readiness", async () => {
    // On the service's own port /metrics takes an API key, like the receive endpoint.
    expect((await fetch(`${sample.url}/metrics`)).status).toBe(401);
    const metrics = await (
      await fetch(`${sample.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })
    ).text();
    expect(metrics).toMatch(
      /dify_ext_requests_total\{point="app.moderation.input",status="200",service="moderation-keywords"\}/,
    );
    expect(metrics).toMatch(
      /dify_ext_verdicts_total\{engine="keywords",verdict="block",app="other",mode="enforce",service="moderation-keywords"\}/,
    );
    expect((await fetch(`${sample.url}/readyz`)).status).toBe(200);
  });
});

describe("moderation-keywords start-up checks", () => {
  it("refuses to start in production without API keys", async () => {
    expect(await startupFailure({ cwd: appDir, env: { NODE_ENV: "production" } })).toMatch(
      /API_KEYS: required with NODE_ENV=production/,
    );
  });

  it("names every bad variable, and never prints a key", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { API_KEYS: "abcd,good-key-1234", PORT: "http", MODERATION_INPUT_ACTION: "delete", KEYWORDS_MATCH: "fuzzy" },
    });
    for (const name of ["API_KEYS", "PORT", "MODERATION_INPUT_ACTION", "KEYWORDS_MATCH"])
      expect(message).toContain(name);
    expect(message).not.toContain("good-key-1234");
    expect(message).not.toMatch(/"abcd"|: abcd/);
  });

  it("reports a missing list file clearly", async () => {
    const message = await startupFailure({
      cwd: appDir,
      env: { API_KEYS: KEY, KEYWORDS_FILES: "/nonexistent/list.txt" },
    });
    expect(message).toMatch(/\/nonexistent\/list\.txt/);
  });
});
