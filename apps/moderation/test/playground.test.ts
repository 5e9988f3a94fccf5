import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type AppProcess, startAppProcess } from "@dify-ext/test-support/app-process";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The playground of a service that cannot fully moderate, in a real browser (Debian's chromium,
 * driven by playwright-core; see the keyword app's playground test): the composite app with the
 * OpenAI engine and no key, as under `pnpm dev`. Screenshots go to `test-artifacts/` (gitignored).
 */
const appDir = fileURLToPath(new URL("..", import.meta.url));
const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const KEY = "banner-key-1357";

describe("the playground's banner when the service does not moderate", () => {
  let app: AppProcess;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    [app, browser] = await Promise.all([
      startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_ENGINES: "obscenity,openai" } }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    expect(await app?.stop()).toBe(0);
  });

  it("shows over the result that the openai engine cannot judge, why, and what passes", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${app.url}/playground`);
    // Nothing to warn about before a result.
    expect(await page.isVisible("#not-moderating")).toBe(false);
    await page.fill("#key", KEY);
    await page.fill("#query", "a perfectly harmless question");
    await page.click("#run");
    await page.waitForSelector("#result:not([hidden])");

    const banner = page.locator("#not-moderating");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.getAttribute("role")).toBe("alert");
    const text = await banner.textContent();
    expect(text).toBe(
      "This service is only partly moderating. The openai engine cannot judge (OPENAI_API_KEY is not set); obscenity still judges; MODERATION_INPUT_ON_ERROR=open lets input calls through without its verdict, MODERATION_OUTPUT_ON_ERROR=open lets output calls through without its verdict.",
    );
    // Above the verdict, where a person looks first.
    const [bannerBox, verdictBox] = await Promise.all([banner.boundingBox(), page.locator("h2").first().boundingBox()]);
    expect(bannerBox!.y).toBeLessThan(verdictBox!.y);
    expect(await page.textContent("#verdict")).toBe("pass");
    await page.screenshot({ path: `${artifacts}not-moderating.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
