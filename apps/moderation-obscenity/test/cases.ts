import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { difyClient, expectKeyRefused, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_BLOCKED, INPUT_PRESET, OUTPUT_BLOCKED, OUTPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import type { Transport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";

/**
 * The obscenity app's end-to-end cases, run against every transport (the Node process and the
 * Worker in workerd): one suite, two transports.
 */
export const KEY = "e2e-key-0123456789";
export const SECOND_KEY = "second-key-98765";
const { call, input, output, expectBadJson, expectBadRequest, expectPong, expectModerationPointsOnly } =
  difyClient(KEY);

const LONG_ANSWER = `${"Here is a long and perfectly polite answer. ".repeat(9)}Then it says shit, and ${"goes on politely. ".repeat(20)}`;

/** Every shared case, each group on its own instance of the app started through `transport`. */
export function obscenityCases(transport: Transport): void {
  describe(`moderation-obscenity with the default policy (block) (${transport.name})`, () => {
    const app = startAppForSuite(transport, { API_KEYS: `${KEY},${SECOND_KEY}` });

    it("answers Dify's ping, with either key", async () => {
      for (const key of [KEY, SECOND_KEY]) await expectPong(app, key);
    });

    it("rejects a wrong or missing key with 401", async () => {
      await expectKeyRefused(app, "wrong-key-00000");
      await expectKeyRefused(app, undefined);
    });

    it("answers bad JSON, a point it does not serve and a malformed call with a 400 saying what is wrong", async () => {
      await expectBadJson(app);
      await expectModerationPointsOnly(app);
      const malformed = await expectBadRequest(app, "app.moderation.input", {
        app_id: "app",
        inputs: "not an object",
        query: "hi",
      });
      expect(malformed).toMatchObject({ code: "invalid_request" });
    });

    it("passes clean input, including innocent words the dataset excepts", async () => {
      for (const query of ["What is a class?", "Book an assessment in Scunthorpe", "A cocktail with grapes"]) {
        expect(await input(app, query, { topic: "classic assignments", count: 3 })).toEqual(PASS);
      }
    });

    it("blocks profanity in the query, in a string input, or in a list input", async () => {
      expect(await input(app, "what the fuck")).toEqual(INPUT_BLOCKED);
      expect(await input(app, "", { note: "you are a bitch", count: 2 })).toEqual(INPUT_BLOCKED);
      expect(await input(app, "hello", { tags: ["fine", "shit"], file: { type: "document" } })).toEqual(INPUT_BLOCKED);
    });

    it("blocks the usual evasions: leetspeak, repeated letters, case, full-width and look-alike letters", async () => {
      for (const query of ["you b1tch", "sh!t happens", "fuuuuuckkkk off", "SHIT", "ｆｕｃｋ this", "𝐟𝐮𝐜𝐤 this"]) {
        expect(await input(app, query), query).toMatchObject({ flagged: true, action: "direct_output" });
      }
    });

    it("does not catch letters separated by spaces or dots (a documented limit)", async () => {
      for (const query of ["f u c k you", "f.u.c.k you"]) {
        expect(await input(app, query), query).toEqual(PASS);
      }
    });

    it("flags the known false positive Penistone when no allowed term is configured", async () => {
      expect(await input(app, "I live in Penistone")).toMatchObject({ flagged: true });
    });

    it("judges every call of a growing output text on its whole text, and never flags its own preset", async () => {
      const at = LONG_ANSWER.indexOf("shit");
      const calls = streamedCalls(LONG_ANSWER);
      expect(calls.length).toBeGreaterThan(2);
      expect(calls.some((text) => text.length < at + 4)).toBe(true);
      for (const text of calls) {
        const body = await output(app, text);
        expect(body, `prefix of ${text.length}`).toEqual(text.length < at + 4 ? PASS : OUTPUT_BLOCKED);
      }
      // After a direct_output, Dify's last call may carry the preset response itself.
      expect(await output(app, OUTPUT_PRESET)).toEqual(PASS);
      expect(await output(app, INPUT_PRESET)).toEqual(PASS);
    });

    it("logs verdicts without the end user's text", async () => {
      await input(app, "an unmistakable fuck in a unique sentence 7d1f");
      await expect
        .poll(
          () => app.output.some((line) => line.includes('"verdict":"block"') && line.includes('"engine":"obscenity"')),
          { timeout: 10_000 },
        )
        .toBe(true);
      expect(app.output.join("\n")).not.toContain("unique sentence 7d1f");
      expect(app.output.join("\n")).not.toContain(KEY);
    });
  });

  describe(`moderation-obscenity with masking, allowed and extra terms (${transport.name})`, () => {
    const app = startAppForSuite(transport, {
      API_KEYS: KEY,
      MODERATION_INPUT_ACTION: "mask",
      MODERATION_OUTPUT_ACTION: "mask",
      OBSCENITY_ALLOW_TERMS: "penistone, cumin",
      OBSCENITY_EXTRA_TERMS: "scam,*blorp*",
    });

    it("masks matches, echoes every input, keeps non-text inputs exactly, and returns the full query", async () => {
      const inputs = {
        count: 3,
        ratio: 0.5,
        flag: false,
        file: { type: "document", transfer_method: "remote_url", url: "https://example.com/shit.pdf" },
        list: ["sh1t", 1, "clean"],
        note: "what the fuck, said Bob",
        topic: "gardening",
        empty: "",
      };
      const params = { app_id: "app", inputs, query: "Tell me why fuuuuckkkk is rude, please." };
      expect(await call(app, "app.moderation.input", params)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: { ...inputs, list: ["****", 1, "clean"], note: "what the ****, said Bob" },
        query: "Tell me why ********** is rude, please.",
      });
    });

    it("keeps the query as it is when only an input is masked", async () => {
      expect(await input(app, "A perfectly fine question?", { note: "bitch" })).toEqual({
        flagged: true,
        action: "overridden",
        inputs: { note: "*****" },
        query: "A perfectly fine question?",
      });
    });

    it("passes clean input unchanged", async () => {
      expect(await input(app, "How do I grow tomatoes?", { topic: "gardening" })).toEqual(PASS);
    });

    it("lets allowed terms through (OBSCENITY_ALLOW_TERMS) without allowing the word elsewhere", async () => {
      expect(await input(app, "I live in Penistone and cook with cumin")).toEqual(PASS);
      expect(await input(app, "PENISTONE station")).toEqual(PASS);
      expect(await input(app, "Penistone has no penis")).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: "Penistone has no *****",
      });
    });

    it("flags extra terms (OBSCENITY_EXTRA_TERMS) as whole words or anywhere, through the same evasion handling", async () => {
      expect(await input(app, "this is a SCAAAM")).toMatchObject({ query: "this is a ******" });
      expect(await input(app, "a sc4m offer")).toMatchObject({ query: "a **** offer" });
      expect(await input(app, "scampi for dinner")).toEqual(PASS);
      expect(await input(app, "megablorpification")).toMatchObject({ query: "mega*****ification" });
    });

    it("masks a growing output text, judging each call on its whole text", async () => {
      const at = LONG_ANSWER.indexOf("shit");
      for (const text of streamedCalls(LONG_ANSWER)) {
        const body = await output(app, text);
        if (text.length < at + 4) expect(body).toEqual(PASS);
        else
          expect(body).toEqual({
            flagged: true,
            action: "overridden",
            text: `${text.slice(0, at)}****${text.slice(at + 4)}`,
          });
      }
    });
  });
}
