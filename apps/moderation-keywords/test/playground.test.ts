import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The playground in a real browser: Debian's chromium (`.ci/run` installs it), driven by
 * playwright-core, against the real process. Screenshots go to `test-artifacts/` (gitignored).
 */
const appDir = fileURLToPath(new URL("..", import.meta.url));
const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const KEY = "playground-key-2468";

/** A CJK term and an English one; the text writes the English one in full-width letters. */
const LIST = "# match: word\n# fold: repeats\n# category: illicit\n赌博\nscam\n";
const ALLOW = "scampi\n";
const QUERY = "这里有赌博网站，还有 ＳＣＡＭ offers, and scampi for dinner";
const MASKED = "这里有**网站，还有 **** offers, and scampi for dinner";

describe("the playground page in headless Chromium", () => {
  let app: AppProcess;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "playground-e2e-"));
    await writeFile(join(dir, "gambling.txt"), LIST);
    await writeFile(join(dir, "food.txt"), ALLOW);
    await mkdir(artifacts, { recursive: true });
    // No PLAYGROUND and no NODE_ENV: on by default, as under `pnpm dev`.
    [app, browser] = await Promise.all([
      startAppProcess({
        cwd: appDir,
        env: {
          API_KEYS: KEY,
          KEYWORDS_FILES: join(dir, "gambling.txt"),
          KEYWORDS_ALLOW_FILES: join(dir, "food.txt"),
          MODERATION_INPUT_ACTION: "mask",
          MODERATION_OUTPUT_ACTION: "block",
        },
      }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] }),
    ]);
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // A Content-Security-Policy violation or a script error shows up here (failed loads, such as
    // the expected 401 and the browser's own /favicon.ico, do not count).
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        pageErrors.push(message.text());
      }
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await app?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it("explains an input call: highlighted CJK and full-width spans, the masked text, the reply, the lists", async () => {
    const response = await page.goto(`${app.url}/playground`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");

    await page.fill("#key", KEY);
    await page.fill("#app-id", "app-e2e-1");
    await page.fill("#query", QUERY);
    await page.fill("#inputs", '{"topic": "赌博"}');
    const sent = page.waitForRequest((request) => request.url().endsWith("/api/playground/explain"));
    await page.click("#run");
    const request = await sent;
    // The call as Dify sends it, app_id included, with the key as the Bearer header.
    expect(request.headers().authorization).toBe(`Bearer ${KEY}`);
    expect(request.postDataJSON()).toEqual({
      point: "app.moderation.input",
      params: { app_id: "app-e2e-1", inputs: { topic: "赌博" }, query: QUERY },
    });

    await page.waitForSelector("#result:not([hidden])");
    expect(await page.textContent("#verdict")).toBe("mask");
    expect(await page.textContent("#summary")).toContain("for app_id app-e2e-1");
    expect(await page.textContent("#summary")).toContain("categories illicit: mask");

    const query = page.locator('.text-box[data-source="query"]');
    const marks = await query.locator("mark").evaluateAll((nodes) =>
      nodes.map((node) => ({
        text: node.textContent,
        engine: node.getAttribute("data-engine"),
        label: node.getAttribute("data-label"),
      })),
    );
    expect(marks).toEqual([
      { text: "赌博", engine: "keywords", label: "赌博" },
      { text: "ＳＣＡＭ", engine: "keywords", label: "scam" },
    ]);
    expect(await query.locator(".tag").allTextContents()).toEqual([
      "keywords · 赌博 (illicit: mask)",
      "keywords · scam (illicit: mask)",
    ]);
    expect(await query.locator(".masked").textContent()).toBe(MASKED);
    expect(await page.locator('.text-box[data-source="inputs.topic"] .masked').textContent()).toBe("**");

    const reply = JSON.parse((await page.textContent("#reply")) ?? "");
    expect(reply).toEqual({ flagged: true, action: "overridden", inputs: { topic: "**" }, query: MASKED });

    const engines = await page.locator("#engines tbody tr td").allTextContents();
    expect(engines[0]).toBe("keywords");
    expect(Number(engines[1])).toBeGreaterThanOrEqual(0);
    expect(engines[2]).toBe("flagged (illicit)");
    const lists = await page
      .locator("#lists tbody tr")
      .evaluateAll((rows) => rows.map((row) => [...row.children].slice(0, 7).map((cell) => cell.textContent)));
    // Its match, its folds and its category, then when it was loaded.
    expect(lists).toEqual([
      ["keywords", "gambling", "block", "2", "word", "repeats", "illicit"],
      ["keywords", "food", "allow", "1", "", "", ""],
    ]);
    expect(await page.locator("#lists tbody tr").first().locator("td").nth(7).textContent()).not.toBe("");

    // The key lives in this tab's session storage only.
    // (Expressions evaluated in the page: this package's TypeScript has no DOM types.)
    expect(await page.evaluate('sessionStorage.getItem("dify-ext-playground-key")')).toBe(KEY);
    expect(await page.evaluate("localStorage.length + document.cookie.length")).toBe(0);
    await page.screenshot({ path: join(artifacts, "playground.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("says which fold a finding needed", async () => {
    await page.fill("#query", "来赌赌博博吧");
    await page.fill("#inputs", "{}");
    await page.click("#run");
    await page.locator("#reply", { hasText: "来****吧" }).waitFor();
    const query = page.locator('.text-box[data-source="query"]');
    expect(await query.locator(".tag").allTextContents()).toEqual(["keywords · 赌博 [via repeats] (illicit: mask)"]);
    const row = await query.locator(".findings tbody tr td").allTextContents();
    expect(row).toEqual(["1–5", "赌赌博博", "keywords", "赌博", "repeats", "illicit", "mask", ""]);
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("says clearly that a wrong key was refused", async () => {
    await page.fill("#key", "not-the-key-000");
    await page.click("#run");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toMatch(/^The API key was refused \(401 unauthorized: .+\)/);
    expect(await page.isHidden("#result")).toBe(true);
    await page.screenshot({ path: join(artifacts, "playground-wrong-key.png") });
  }, 30_000);

  it("replays a streamed answer as Dify does and names the first flagged call", async () => {
    await page.fill("#key", KEY);
    await page.check('input[name="point"][value="app.moderation.output"]');
    // The term starts at character 650: the calls carry 300, 600, 900 and then all 1,000 characters.
    const text = `${"a".repeat(649)} scam ${"b".repeat(345)}`;
    expect(text.length).toBe(1000);
    await page.fill("#text", text);
    await page.check("#streamed");
    await page.click("#run");
    await page.waitForSelector("#stream:not([hidden])");
    expect(await page.textContent("#stream-summary")).toBe(
      "First flagged at call 3 of 4 (every 300 characters, then the whole answer).",
    );
    const calls = await page
      .locator("#stream-calls tbody tr")
      .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent)));
    expect(calls).toEqual([
      ["1", "300", "no", "—"],
      ["2", "600", "no", "—"],
      ["3", "900", "yes", "direct_output"],
      ["4 (final)", "1000", "yes", "direct_output"],
    ]);
    expect(await page.textContent("#verdict")).toBe("block");
    await page.screenshot({ path: join(artifacts, "playground-streamed.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("never logs the text it was given (LOG_USER_TEXT is off)", () => {
    const log = app.output.join("\n");
    expect(log).toContain('"path":"/api/playground/explain"');
    expect(log).not.toContain("赌博网站");
    expect(log).not.toContain("aaaaaaaaaa");
  });
});
