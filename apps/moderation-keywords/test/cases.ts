import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difyCall } from "@dify-ext/test-support/app-process";
import { difyClient, expectKeyRefused, type ReceiveTarget, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_BLOCKED, INPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The keyword app's end-to-end cases, run against every transport (the Node process and the Worker
 * in workerd): one suite, two transports.
 */
export const KEY = "e2e-key-0123456789";
export const SECOND_KEY = "second-key-98765";

/** Env of the target for `sampleListCases` (vars for the Worker; env for the process). */
export const SAMPLE_ENV = {
  API_KEYS: `${KEY},${SECOND_KEY}`,
  MODERATION_INPUT_ACTION: "block",
  MODERATION_OUTPUT_ACTION: "mask",
};

/** The custom list `customListCases` expects, and the target's env besides KEYWORDS_FILES. */
export const CUSTOM_LIST = "# team list\nbadword\n秘密\n";
export const CUSTOM_ENV = { API_KEYS: KEY, MODERATION_INPUT_ACTION: "mask" };
/**
 * A second custom list, folded (`# fold: chinese, pinyin, homophones`): its Simplified terms also
 * match Traditional text, toneless pinyin and homophones.
 */
export const CUSTOM_FOLDED_LIST = "# fold: chinese, pinyin, homophones\n共产党\n法轮功\n";

const { call, input, output, expectBadJson, expectPong, expectModerationPointsOnly } = difyClient(KEY);

/**
 * Writes CUSTOM_LIST, CUSTOM_FOLDED_LIST and an empty allow list into a new temporary folder
 * before the suite, and removes it after; `env()` is CUSTOM_ENV with the variables that name them.
 */
export function customListFiles(prefix: string): { dir(): string; env(): Record<string, string> } {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    await writeFile(join(dir, "block.txt"), CUSTOM_LIST);
    await writeFile(join(dir, "zh.txt"), CUSTOM_FOLDED_LIST);
    await writeFile(join(dir, "allow.txt"), "");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    env: () => ({
      ...CUSTOM_ENV,
      KEYWORDS_FILES: `${join(dir, "block.txt")},${join(dir, "zh.txt")}`,
      KEYWORDS_ALLOW_FILES: join(dir, "allow.txt"),
    }),
  };
}

/** Cases for a target running the bundled sample list with SAMPLE_ENV. */
export function sampleListCases(transport: string, target: () => ReceiveTarget): void {
  describe(`moderation-keywords with the sample list (${transport})`, () => {
    it("answers Dify's ping", async () => {
      await expectPong(target());
    });

    it("accepts the second key and rejects a wrong one with 401", async () => {
      expect((await difyCall(target().receiveUrl, SECOND_KEY, "ping", {})).status).toBe(200);
      await expectKeyRefused(target(), "wrong-key-00000");
    });

    it("passes clean input", async () => {
      expect(await input(target(), "What is a class?", { topic: "classic assignments" })).toEqual(PASS);
    });

    it("blocks input with a listed term, full-width, hidden by a zero-width space, or inside Chinese text", async () => {
      for (const query of ["you ｆｕｃｋing idiot", "你是个傻逼吧", "what the F\u200BUCK"]) {
        expect(await input(target(), query)).toEqual(INPUT_BLOCKED);
      }
    });

    it("masks a growing output text, judging the whole text of every call", async () => {
      const answer = `${"Here is a long and perfectly polite answer. ".repeat(8)}Then it says shit, and ${"goes on politely. ".repeat(20)}`;
      const at = answer.indexOf("shit");
      for (const text of streamedCalls(answer)) {
        const body = await output(target(), text);
        if (text.length < at + 4) expect(body.flagged).toBe(false);
        else
          expect(body).toEqual({
            flagged: true,
            action: "overridden",
            text: `${text.slice(0, at)}****${text.slice(at + 4)}`,
          });
      }
    });

    it("answers an answer with 125,000 matches (within MAX_TEXT_LENGTH) with 200, every match masked", async () => {
      // One finding per match: a policy that spreads them into a call's arguments overflows the stack (a 500).
      const text = "傻逼".repeat(125_000);
      expect(await output(target(), text)).toEqual({
        flagged: true,
        action: "overridden",
        text: "*".repeat(text.length),
      });
    });

    it("never flags its own preset response sent back as output", async () => {
      expect((await output(target(), INPUT_PRESET)).flagged).toBe(false);
    });

    it("answers bad JSON, an unknown point and an oversized body with clear errors", async () => {
      await expectBadJson(target());
      await expectModerationPointsOnly(target());
      // Past BODY_LIMIT the service answers 413 and closes the connection at once: a client still
      // sending may see the reset instead of the answer (docs/operations.md), so both are accepted.
      const huge = await difyCall(target().receiveUrl, KEY, "app.moderation.output", {
        text: "x".repeat(2 * 1024 * 1024),
      }).then(
        (response) => response.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
      );
      expect([413, "ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]).toContain(huge);
    });
  });
}

/** Cases for a target running CUSTOM_LIST as its only list, with CUSTOM_ENV. */
export function customListCases(transport: string, target: () => ReceiveTarget): void {
  describe(`moderation-keywords with a custom list (${transport})`, () => {
    it("masks matches and keeps non-text inputs exactly", async () => {
      const inputs = {
        count: 3,
        flag: false,
        file: { type: "document", url: "https://example.com/badword.pdf" },
        note: "a badword here",
        list: ["badword", 1],
      };
      const params = { app_id: "a", inputs, query: "no BADWORD, 秘密です" };
      expect(await call(target(), "app.moderation.input", params)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: { ...inputs, note: "a ******* here", list: ["*******", 1] },
        query: "no *******, **です",
      });
    });

    it("matches a folded list's Simplified term in Traditional text, masking the original characters", async () => {
      const params = { app_id: "a", inputs: {}, query: "打倒共產黨, 打倒共产党" };
      expect(await call(target(), "app.moderation.input", params)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "打倒***, 打倒***",
      });
    });

    it("matches a folded list's term written in pinyin or with homophones, and not a word sharing one syllable", async () => {
      const params = { app_id: "a", inputs: {}, query: "练 Fa Lun Gong 或发轮功，发展经济" };
      expect(await call(target(), "app.moderation.input", params)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "练 *********** 或***，发展经济",
      });
    });

    it("no longer knows the sample list", async () => {
      const params = { app_id: "a", inputs: {}, query: "傻逼" };
      expect((await call(target(), "app.moderation.input", params)).flagged).toBe(false);
    });
  });
}
