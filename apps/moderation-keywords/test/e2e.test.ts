import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { difyReplyProblems } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "e2e-key-0123456789";

async function expectDifyAccepts(response: Response, point: Parameters<typeof difyReplyProblems>[0], params?: unknown) {
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(difyReplyProblems(point, body, params)).toEqual([]);
  return body as Record<string, unknown>;
}

describe("moderation-keywords, started as a real process with the sample list", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: `${KEY},second-key-98765`, MODERATION_INPUT_ACTION: "block", MODERATION_OUTPUT_ACTION: "mask" } });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("answers Dify's ping", async () => {
    const response = await difyCall(app.receiveUrl, KEY, "ping", {});
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"result":"pong"}');
  });

  it("accepts the second key and rejects a wrong one with 401", async () => {
    expect((await difyCall(app.receiveUrl, "second-key-98765", "ping", {})).status).toBe(200);
    const wrong = await difyCall(app.receiveUrl, "wrong-key-00000", "ping", {});
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("passes clean input", async () => {
    const params = { app_id: "app", inputs: { topic: "classic assignments" }, query: "What is a class?" };
    const body = await expectDifyAccepts(await difyCall(app.receiveUrl, KEY, "app.moderation.input", params), "app.moderation.input", params);
    expect(body).toEqual({ flagged: false, action: "direct_output" });
  });

  it("blocks input with a listed term, full-width or inside Chinese text", async () => {
    for (const query of ["you ｆｕｃｋing idiot", "你是个傻逼吧", "what the F\u200BUCK"]) {
      const params = { app_id: "app", inputs: {}, query };
      const body = await expectDifyAccepts(await difyCall(app.receiveUrl, KEY, "app.moderation.input", params), "app.moderation.input", params);
      expect(body).toEqual({ flagged: true, action: "direct_output", preset_response: "Sorry, your message was blocked by content moderation." });
    }
  });

  it("masks a growing output text, judging the whole text of every call", async () => {
    const answer = `${"Here is a long and perfectly polite answer. ".repeat(8)}Then it says shit, and ${"goes on politely. ".repeat(20)}`;
    const calls: string[] = [];
    for (let length = 300; length < answer.length; length += 300) calls.push(answer.slice(0, length));
    calls.push(answer);
    const at = answer.indexOf("shit");
    for (const text of calls) {
      const body = await expectDifyAccepts(await difyCall(app.receiveUrl, KEY, "app.moderation.output", { app_id: "app", text }), "app.moderation.output");
      if (text.length < at + 4) {
        expect(body.flagged).toBe(false);
      } else {
        expect(body).toEqual({ flagged: true, action: "overridden", text: `${text.slice(0, at)}****${text.slice(at + 4)}` });
      }
    }
  });

  it("answers bad JSON, an unknown point and an oversized body with clear errors", async () => {
    const badJson = await fetch(app.receiveUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body: "{oops" });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ error: { code: "invalid_json", message: "the body is not valid JSON" } });
    const unknown = await difyCall(app.receiveUrl, KEY, "app.external_data_tool.query", { tool_variable: "x", inputs: {}, query: "" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain("ping, app.moderation.input, app.moderation.output");
    const huge = await difyCall(app.receiveUrl, KEY, "app.moderation.output", { text: "x".repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });
});

describe("moderation-keywords with custom lists", () => {
  let dir: string;
  let app: AppProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "keywords-e2e-"));
    await writeFile(join(dir, "block.txt"), "# team list\nbadword\n秘密\n");
    await writeFile(join(dir, "allow.txt"), "");
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        KEYWORDS_FILES: join(dir, "block.txt"),
        KEYWORDS_ALLOW_FILES: join(dir, "allow.txt"),
        MODERATION_INPUT_ACTION: "mask",
      },
    });
  });
  afterAll(async () => {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const query = async (text: string, inputs: Record<string, unknown> = {}) =>
    (await (await difyCall(app.receiveUrl, KEY, "app.moderation.input", { app_id: "a", inputs, query: text })).json()) as Record<string, unknown>;

  it("masks matches and keeps non-text inputs exactly", async () => {
    const inputs = { count: 3, flag: false, file: { type: "document", url: "https://example.com/badword.pdf" }, note: "a badword here", list: ["badword", 1] };
    expect(await query("no BADWORD, 秘密です", inputs)).toEqual({
      flagged: true,
      action: "overridden",
      inputs: { ...inputs, note: "a ******* here", list: ["*******", 1] },
      query: "no *******, **です",
    });
  });

  it("reloads a changed list without a restart, and keeps serving the old one when the new one is broken", async () => {
    expect((await query("fresh term")).flagged).toBe(false);
    const next = join(dir, "block.next");
    await writeFile(next, "badword\nfresh term\n");
    await rename(next, join(dir, "block.txt"));
    await expect.poll(async () => (await query("a fresh term")).flagged, { timeout: 10_000, interval: 100 }).toBe(true);

    await rm(join(dir, "block.txt"));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await query("a fresh term")).flagged).toBe(true);
    expect(app.output.join("\n")).toMatch(/not reloaded; the previous lists keep serving/);
    await writeFile(join(dir, "block.txt"), "badword\n");
    await expect.poll(async () => (await query("a fresh term")).flagged, { timeout: 10_000, interval: 100 }).toBe(false);
  });

  it("reloads on SIGHUP", async () => {
    await writeFile(join(dir, "allow.txt"), "badwordy\n");
    app.child.kill("SIGHUP");
    await expect.poll(() => app.output.some((line) => line.includes("SIGHUP")), { timeout: 5_000 }).toBe(true);
    await expect.poll(async () => (await query("badwordy")).flagged, { timeout: 10_000, interval: 100 }).toBe(false);
  });
});

describe("moderation-keywords start-up checks", () => {
  it("refuses to start in production without API keys", async () => {
    await expect(startAppProcess({ cwd: appDir, env: { NODE_ENV: "production" } })).rejects.toThrow(/API_KEYS: required with NODE_ENV=production/);
  });

  it("names every bad variable, and never prints a key", async () => {
    const error = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: "abcd,good-key-1234", PORT: "http", MODERATION_INPUT_ACTION: "delete", KEYWORDS_MATCH: "fuzzy" },
    }).catch((e: Error) => e);
    const message = String(error);
    for (const name of ["API_KEYS", "PORT", "MODERATION_INPUT_ACTION", "KEYWORDS_MATCH"]) expect(message).toContain(name);
    expect(message).not.toContain("good-key-1234");
    expect(message).not.toMatch(/"abcd"|: abcd/);
  });

  it("reports a missing list file clearly", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, KEYWORDS_FILES: "/nonexistent/list.txt" } }).catch((e: Error) => e);
    expect(String(error)).toMatch(/\/nonexistent\/list\.txt/);
  });
});
