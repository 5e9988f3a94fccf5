import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { difyClient, expectKeyRefused, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_PRESET, OUTPUT_BLOCKED, OUTPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import type { Transport } from "@dify-ext/test-support/worker";
import { describe, expect, it } from "vitest";

/**
 * The pii app's end-to-end cases, run against every transport (the Node process and the Worker in
 * workerd): one suite, two transports.
 */
export const KEY = "e2e-key-0123456789";
export const SECOND_KEY = "second-key-98765";
const { call, input, output, expectBadRequest, expectPong } = difyClient(KEY);

const EMAIL = "jane.doe@example.com";
const LONG_ANSWER = `${"Here is a long and perfectly harmless answer. ".repeat(9)}Write to ${EMAIL} for details, ${"and so on, politely. ".repeat(20)}`;
const AWS = "AKIAIOSFODNN7EXAMPLE";

/** Every shared case, each group on its own instance of the app started through `transport`. */
export function piiCases(transport: Transport): void {
  describe(`moderation-pii with its defaults (mask, labels, US) (${transport.name})`, () => {
    const app = startAppForSuite(transport, { API_KEYS: `${KEY},${SECOND_KEY}` });

    it("answers Dify's ping, with either key, and rejects a wrong key with 401", async () => {
      for (const key of [KEY, SECOND_KEY]) await expectPong(app, key);
      await expectKeyRefused(app, "wrong-key-00000");
    });

    it("answers a malformed call with a 400 saying what is wrong", async () => {
      const malformed = await expectBadRequest(app, "app.moderation.input", {
        app_id: "app",
        inputs: "not an object",
        query: "hi",
      });
      expect(malformed.code).toBe("invalid_request");
    });

    it("passes text without personal data, including numbers that only look like it", async () => {
      for (const query of [
        "What is the capital of France?",
        "Order #123456789 from 2024-11-27 costs $1,299.99; version 1.2.3.4.5",
        "ISBN 978-3-16-148410-0, UUID 123e4567-e89b-12d3-a456-426614174000, card 4111 1111 1111 1112",
      ]) {
        expect(await input(app, query, { count: 3 }), query).toEqual(PASS);
      }
    });

    it("masks personal data with type labels and lets the message go on, echoing every input", async () => {
      const inputs = {
        count: 3,
        file: { type: "document", transfer_method: "remote_url", url: "https://example.com/a.pdf" },
        contact: `mail ${EMAIL} or call (415) 555-2671`,
        list: ["IBAN DE89 3704 0044 0532 0130 00", 1, "clean"],
        topic: "billing",
      };
      const params = { app_id: "app", inputs, query: "My card is 4111 1111 1111 1111 and SSN 123-45-6789." };
      expect(await call(app, "app.moderation.input", params)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: { ...inputs, contact: "mail [EMAIL] or call [PHONE]", list: ["IBAN [IBAN]", 1, "clean"] },
        query: "My card is [CARD] and SSN [SSN].",
      });
    });

    it("masks secrets and personal data in several languages", async () => {
      expect(await input(app, `我的手机号是13800138000，身份证11010519491231002X。`)).toMatchObject({
        query: "我的手机号是[PHONE]，身份证[ID_NUMBER]。",
      });
      expect(await input(app, `Rufen Sie +49 30 901820 an, Schlüssel ${AWS}`)).toMatchObject({
        query: "Rufen Sie [PHONE] an, Schlüssel [API_KEY]",
      });
      expect(await input(app, "Serveur 192.168.1.10, merci")).toMatchObject({ query: "Serveur [IP], merci" });
    });

    it("masks a growing output text, each call on its whole text (the label changes the length)", async () => {
      const at = LONG_ANSWER.indexOf(EMAIL);
      for (const text of streamedCalls(LONG_ANSWER)) {
        const body = await output(app, text);
        if (text.length < at + EMAIL.length) expect(body, `prefix of ${text.length}`).toEqual(PASS);
        else
          expect(body, `prefix of ${text.length}`).toEqual({
            flagged: true,
            action: "overridden",
            text: `${text.slice(0, at)}[EMAIL]${text.slice(at + EMAIL.length)}`,
          });
      }
    });

    it("logs verdicts and types without the end user's text or the data found", async () => {
      await input(app, "a unique sentence 7d1f with jane.unique.7d1f@example.org");
      await expect
        .poll(() => app.output.some((line) => line.includes('"verdict":"mask"') && line.includes('"engine":"pii"')), {
          timeout: 10_000,
        })
        .toBe(true);
      const log = app.output.join("\n");
      expect(log).not.toContain("unique sentence 7d1f");
      expect(log).not.toContain("jane.unique.7d1f");
      expect(log).not.toContain(KEY);
    });
  });

  describe(`moderation-pii with stars, chosen types, a region, and blocking output (${transport.name})`, () => {
    const app = startAppForSuite(transport, {
      API_KEYS: KEY,
      PII_MASK_STYLE: "stars",
      PII_TYPES: "email, phone, AWS-KEY",
      PII_PHONE_REGION: "de",
      MODERATION_MASK_CHARACTER: "#",
      MODERATION_OUTPUT_ACTION: "block",
    });

    it("masks with the mask character, one per character, only the types turned on", async () => {
      expect(await input(app, `Mail a@b.de, Karte 4111 1111 1111 1111, Schlüssel ${AWS}`)).toEqual({
        flagged: true,
        action: "overridden",
        inputs: {},
        query: `Mail ######, Karte 4111 1111 1111 1111, Schlüssel ${"#".repeat(AWS.length)}`,
      });
    });

    it("reads numbers without a country code in PII_PHONE_REGION, and never takes a date for one", async () => {
      expect(await input(app, "Ruf an: 030 901820")).toMatchObject({ query: "Ruf an: ##########" });
      expect(await input(app, "Termin am 2024-11-27 und 27.11.2024")).toEqual(PASS);
    });

    it("blocks an answer holding personal data when the output action is block", async () => {
      expect(await output(app, "Her address is a@b.de")).toEqual(OUTPUT_BLOCKED);
      expect(await output(app, OUTPUT_PRESET)).toEqual(PASS);
      expect(await output(app, INPUT_PRESET)).toEqual(PASS);
    });
  });
}
