import { difyReplyProblems, type Point } from "@dify-ext/protocol";
import { difyCall } from "@dify-ext/test-support/app-process";
import { describe, expect, it } from "vitest";

/**
 * The keyword app's end-to-end cases, run against every transport (the Node process and the Worker
 * in workerd): one suite, two transports.
 */
export interface Target {
  receiveUrl: string;
}

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

async function accepted(response: Response, point: Point, params?: unknown) {
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(difyReplyProblems(point, body, params)).toEqual([]);
  return body as Record<string, unknown>;
}

/** Cases for a target running the bundled sample list with SAMPLE_ENV. */
export function sampleListCases(transport: string, target: () => Target): void {
  describe(`moderation-keywords with the sample list (${transport})`, () => {
    it("answers Dify's ping", async () => {
      const response = await difyCall(target().receiveUrl, KEY, "ping", {});
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"result":"pong"}');
    });

    it("accepts the second key and rejects a wrong one with 401", async () => {
      expect((await difyCall(target().receiveUrl, SECOND_KEY, "ping", {})).status).toBe(200);
      const wrong = await difyCall(target().receiveUrl, "wrong-key-00000", "ping", {});
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    });

    it("passes clean input", async () => {
      const params = { app_id: "app", inputs: { topic: "classic assignments" }, query: "What is a class?" };
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
        "app.moderation.input",
        params,
      );
      expect(body).toEqual({ flagged: false, action: "direct_output" });
    });

    it("blocks input with a listed term, full-width, hidden by a zero-width space, or inside Chinese text", async () => {
      for (const query of ["you ｆｕｃｋing idiot", "你是个傻逼吧", "what the F\u200BUCK"]) {
        const params = { app_id: "app", inputs: {}, query };
        const body = await accepted(
          await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
          "app.moderation.input",
          params,
        );
        expect(body).toEqual({
          flagged: true,
          action: "direct_output",
          preset_response: "Sorry, your message was blocked by content moderation.",
        });
      }
    });

    it("masks a growing output text, judging the whole text of every call", async () => {
      const answer = `${"Here is a long and perfectly polite answer. ".repeat(8)}Then it says shit, and ${"goes on politely. ".repeat(20)}`;
      const calls: string[] = [];
      for (let length = 300; length < answer.length; length += 300) calls.push(answer.slice(0, length));
      calls.push(answer);
      const at = answer.indexOf("shit");
      for (const text of calls) {
        const body = await accepted(
          await difyCall(target().receiveUrl, KEY, "app.moderation.output", { app_id: "app", text }),
          "app.moderation.output",
        );
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
      const response = await difyCall(target().receiveUrl, KEY, "app.moderation.output", { app_id: "app", text });
      const body = await accepted(response, "app.moderation.output");
      expect(body).toEqual({ flagged: true, action: "overridden", text: "*".repeat(text.length) });
    });

    it("never flags its own preset response sent back as output", async () => {
      const text = "Sorry, your message was blocked by content moderation.";
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.output", { app_id: "app", text }),
        "app.moderation.output",
      );
      expect(body.flagged).toBe(false);
    });

    it("answers bad JSON, an unknown point and an oversized body with clear errors", async () => {
      const badJson = await fetch(target().receiveUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: "{oops",
      });
      expect(badJson.status).toBe(400);
      expect(await badJson.json()).toEqual({ error: { code: "invalid_json", message: "the body is not valid JSON" } });
      const unknown = await difyCall(target().receiveUrl, KEY, "app.external_data_tool.query", {
        tool_variable: "x",
        inputs: {},
        query: "",
      });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
        "ping, app.moderation.input, app.moderation.output",
      );
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
export function customListCases(transport: string, target: () => Target): void {
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
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
        "app.moderation.input",
        params,
      );
      expect(body).toEqual({
        flagged: true,
        action: "overridden",
        inputs: { ...inputs, note: "a ******* here", list: ["*******", 1] },
        query: "no *******, **です",
      });
    });

    it("matches a folded list's Simplified term in Traditional text, masking the original characters", async () => {
      const params = { app_id: "a", inputs: {}, query: "打倒共產黨, 打倒共产党" };
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
        "app.moderation.input",
        params,
      );
      expect(body).toEqual({ flagged: true, action: "overridden", inputs: {}, query: "打倒***, 打倒***" });
    });

    it("matches a folded list's term written in pinyin or with homophones, and not a word sharing one syllable", async () => {
      const params = { app_id: "a", inputs: {}, query: "练 Fa Lun Gong 或发轮功，发展经济" };
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
        "app.moderation.input",
        params,
      );
      expect(body).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "练 *********** 或***，发展经济",
      });
    });

    it("no longer knows the sample list", async () => {
      const params = { app_id: "a", inputs: {}, query: "傻逼" };
      const body = await accepted(
        await difyCall(target().receiveUrl, KEY, "app.moderation.input", params),
        "app.moderation.input",
        params,
      );
      expect(body.flagged).toBe(false);
    });
  });
}
