import { thrownBy } from "@dify-ext/test-support/config";
import { describe, expect, it } from "vitest";
import { maskSpans } from "../mask.ts";
import { createPiiEngine, PII_TYPES, PiiOptionError, type PiiType } from "./index.ts";

const engine = createPiiEngine();

async function found(text: string, options = {}): Promise<Array<[string, string]>> {
  const [verdict] = await (Object.keys(options).length ? createPiiEngine(options) : engine).moderate([text], {
    point: "input",
  });
  return verdict!.findings.map((finding) => [finding.label, text.slice(finding.start, finding.end)]);
}

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";

/** Each type in realistic sentences, in English, German, French, Chinese and Japanese: [type, text, what is found]. */
const TRUE_POSITIVES: Array<[PiiType, string, string]> = [
  ["email", "Please write to jane.doe+news@example.co.uk, thanks.", "jane.doe+news@example.co.uk"],
  ["email", "Schreiben Sie an max.mustermann@beispiel.de.", "max.mustermann@beispiel.de"],
  ["email", "Contactez-moi : marie_curie@exemple.fr", "marie_curie@exemple.fr"],
  ["email", "请发邮件到zhang.wei@example.cn谢谢", "zhang.wei@example.cn"],
  ["email", "メールはtaro.yamada@example.jpまでお願いします。", "taro.yamada@example.jp"],
  ["phone", "Call our London office on +44 20 7946 0958 tomorrow.", "+44 20 7946 0958"],
  ["phone", "My number is (415) 555-2671.", "(415) 555-2671"],
  ["phone", "Rufen Sie mich unter +49 30 901820 an.", "+49 30 901820"],
  ["phone", "Appelez le +33 1 42 68 53 00 avant midi.", "+33 1 42 68 53 00"],
  ["phone", "東京オフィス：+81 3-1234-5678", "+81 3-1234-5678"],
  ["phone", "call 415.555.2671 now", "415.555.2671"],
  ["card", "My Visa is 4111 1111 1111 1111, expiring soon.", "4111 1111 1111 1111"],
  ["card", "Meine Kreditkarte: 5555-5555-5555-4444", "5555-5555-5555-4444"],
  ["card", "Carte Amex 3782 822463 10005 refusée", "3782 822463 10005"],
  ["card", "信用卡号6212345678901265", "6212345678901265"],
  ["card", "カード番号は4012888888881881です", "4012888888881881"],
  ["card", "card 4111 1111 1111 1111 12/27", "4111 1111 1111 1111"],
  ["card", "card 4242424242424242 12/27 cvc 123", "4242424242424242"],
  ["iban", "Überweisen Sie an DE89 3704 0044 0532 0130 00 bitte.", "DE89 3704 0044 0532 0130 00"],
  ["iban", "Mon IBAN : FR1420041010050500013M02606", "FR1420041010050500013M02606"],
  ["iban", "Pay GB29NWBK60161331926819 by Friday", "GB29NWBK60161331926819"],
  ["iban", "账户 DE89370400440532013000 已确认", "DE89370400440532013000"],
  ["ip", "The server at 192.168.1.10 is down.", "192.168.1.10"],
  ["ip", "Der Host 2001:db8::8a2e:370:7334 antwortet nicht.", "2001:db8::8a2e:370:7334"],
  ["ip", "L'adresse fe80::1ff:fe23:4567:890a est locale.", "fe80::1ff:fe23:4567:890a"],
  ["ip", "服务器地址是10.0.0.1。", "10.0.0.1"],
  ["ip", "mapped ::ffff:192.0.2.128 here", "::ffff:192.0.2.128"],
  ["cn-id", "我的身份证号是11010519491231002X。", "11010519491231002X"],
  ["cn-id", "ID 440524198001010013 on file", "440524198001010013"],
  ["cn-mobile", "我的手机号是13800138000，请联系。", "13800138000"],
  ["cn-mobile", "电话：+86 139 1234 5678", "+86 139 1234 5678"],
  ["cn-mobile", "携帯 0086-15912345678 まで", "0086-15912345678"],
  ["us-ssn", "My SSN is 123-45-6789.", "123-45-6789"],
  ["us-ssn", "SSN 078 05 1120 on the form", "078 05 1120"],
  [
    "openai-key",
    "Use OPENAI_API_KEY=sk-proj-AbC123dEf456GhI789jKl012MnO345pQr in .env",
    "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr",
  ],
  ["openai-key", "der Schlüssel sk-4fT9qLm2XwZ8rB1nV7cD3eH6jK0pS5uY", "sk-4fT9qLm2XwZ8rB1nV7cD3eH6jK0pS5uY"],
  ["aws-key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"],
  ["aws-key", "临时凭证ASIAY34FZKBOKMUTVV7A已过期", "ASIAY34FZKBOKMUTVV7A"],
  ["github-token", "token: ghp_1234567890abcdefghijABCDEFGHIJ123456", "ghp_1234567890abcdefghijABCDEFGHIJ123456"],
  [
    "github-token",
    "export GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
  ],
  [
    "slack-token",
    "Le jeton xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx fuit",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  ],
  ["jwt", `Authorization: Bearer ${JWT}`, JWT],
  ["jwt", `トークン${JWT}を送信`, JWT],
  ["private-key", `Here is my key:\n${PEM}\nplease keep it.`, PEM],
  [
    "private-key",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
  ],
];

/** Look-alikes that must not flag, with the default region (US). */
const LOOK_ALIKES: Array<[string, string]> = [
  ["ISO date", "The meeting is on 2024-11-27 at 14:30."],
  ["European date", "Termin am 27.11.2024 um 9 Uhr"],
  ["US date", "Due 11/27/2024."],
  ["price", "It costs $1,299.99 or €1.299,00 (1.299.999 units)."],
  ["order number", "Order #123456789 shipped; invoice INV-2024-000123."],
  ["version", "Upgrade from 1.2.3.4.5 to v1.2.3.4 or release 10.0.19045.3693"],
  ["version with leading zeros", "build 01.02.03.04"],
  ["ISBN-13", "ISBN 978-3-16-148410-0 and 9780306406157"],
  ["ISBN-10", "ISBN 0-306-40615-2"],
  ["UPS tracking", "Tracking 1Z999AA10123456784"],
  ["USPS tracking", "USPS 9400 1000 0000 0000 0000 00 and 9400100000000000000000"],
  ["Luhn-invalid card", "Card 4111 1111 1111 1112 and 5555555555554445"],
  ["card-like without issuer", "Ref 1234 5678 9012 3452"],
  ["long hex", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
  ["git commit", "commit 3f215b6c0d2a4e1f9b8c7d6e5f4a3b2c1d0e9f8a"],
  ["UUID", "request 123e4567-e89b-12d3-a456-426614174000 failed"],
  ["time", "from 12:30:45 to 13:00"],
  ["MAC address", "MAC 00:1A:2B:3C:4D:5E"],
  ["C++ scope", "std::vector and a::b and dead::beef"],
  ["invalid IBAN checksum", "DE88 3704 0044 0532 0130 00"],
  ["invalid China ID checksum", "身份证11010519491231002Y 110105194912310021"],
  ["impossible China ID date", "110105194913310028"],
  ["invalid SSNs", "000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567, 123-45-0000"],
  ["SSN-like inside a longer number", "part 123-45-6789-0"],
  ["prose after sk-", "the sk-learn-compatible-estimator-with-many-words"],
  ["short sk-", "sk-12345"],
  ["AKIA too short", "AKIA1234"],
  ["ghp_ too short", "ghp_short"],
  ["xoxb without digits", "xoxb-not-a-real-token-at-all"],
  ["eyJ not JSON", "eyJub3QganNvbg.eyJhIjoxfQ.sig"],
  ["JWT header without alg", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"],
  ["public key block", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----"],
  ["e-mail-like without domain", "user@localhost and @mention and a@b"],
  ["phone-like too short", "ext. 12345 and room 4021"],
  ["China mobile-like with a bad prefix", "12800138000"],
  ["numbers glued to letters", "SKU A4111111111111111B"],
];

describe("the pii engine", () => {
  it.each(TRUE_POSITIVES)("finds %s in %j", async (type, text, expected) => {
    expect(await found(text)).toEqual([[type, expected]]);
  });

  it("has a true positive for every type", () => {
    for (const type of PII_TYPES)
      expect(
        TRUE_POSITIVES.some(([t]) => t === type),
        type,
      ).toBe(true);
  });

  it.each(LOOK_ALIKES)("does not flag a look-alike: %s", async (_, text) => {
    expect(await found(text)).toEqual([]);
  });

  // Issue 22, hole 6: forms the engine used to miss.
  it.each<[string, string, string, string]>([
    ["a lower-case IBAN", "iban", "iban de89370400440532013000 ok", "de89370400440532013000"],
    ["a lower-case IBAN in groups", "iban", "iban de89 3704 0044 0532 0130 00 ok", "de89 3704 0044 0532 0130 00"],
    [
      "a lower-case IBAN with letters in its BBAN",
      "iban",
      "send to gb82west12345698765432 now",
      "gb82west12345698765432",
    ],
    ["a mixed-case IBAN in groups", "iban", "IBAN Gb82 West 1234 5698 7654 32.", "Gb82 West 1234 5698 7654 32"],
    [
      "an IBAN grouped with no-break spaces",
      "iban",
      "IBAN DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000",
      "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000",
    ],
    [
      "a card with no-break spaces",
      "card",
      "Visa 4111\u00a01111\u00a01111\u00a01111 exp",
      "4111\u00a01111\u00a01111\u00a01111",
    ],
    [
      "a card with narrow no-break spaces",
      "card",
      "Visa 4111\u202f1111\u202f1111\u202f1111.",
      "4111\u202f1111\u202f1111\u202f1111",
    ],
    [
      "a card with en dashes",
      "card",
      "Karte 5555\u20135555\u20135555\u20134444 bitte",
      "5555\u20135555\u20135555\u20134444",
    ],
    ["an Amex card with no-break spaces", "card", "Amex 3782\u00a0822463\u00a010005", "3782\u00a0822463\u00a010005"],
    [
      "a full-width e-mail address",
      "email",
      "メール：ｊａｎｅ．ｄｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ まで",
      "ｊａｎｅ．ｄｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ],
    ["an e-mail address with a full-width at sign", "email", "mail bob＠example.org today", "bob＠example.org"],
    [
      "a zero-width space in an address's local part",
      "email",
      "to us\u200ber@example.com today",
      "us\u200ber@example.com",
    ],
    ["a zero-width joiner before the at sign", "email", "to user\u200d@example.com", "user\u200d@example.com"],
    ["a zero-width space in the domain", "email", "to user@exa\u200bmple.com.", "user@exa\u200bmple.com"],
    [
      "a soft hyphen and a word joiner in an address",
      "email",
      "to jo\u00adhn@exam\u2060ple.org",
      "jo\u00adhn@exam\u2060ple.org",
    ],
  ])("finds %s", async (_, type, text, expected) => {
    expect(await found(text)).toEqual([[type, expected]]);
  });

  it.each<[string, string]>([
    ["a lower-case IBAN with a bad checksum", "iban de88 3704 0044 0532 0130 00 ok"],
    ["a lower-case word with two letters and two digits", "the ab12 model and de89 units"],
    ["a card with mixed separators", "4111\u00a01111 1111\u20131111"],
    ["a Luhn-invalid card with en dashes", "4111\u20131111\u20131111\u20131112"],
    ["a date range with en dashes", "2019\u20132024 and 1999\u20132000\u20132001"],
    ["a full-width at sign without a domain", "ｊａｎｅ＠ｌｏｃａｌｈｏｓｔ"],
    ["an address split by a visible space", "us er@example com"],
  ])("does not flag %s", async (_, text) => {
    expect(await found(text)).toEqual([]);
  });

  it("masks the whole address, the invisible characters inside it too", async () => {
    const text = "write to us\u200ber@example.com please";
    const [verdict] = await engine.moderate([text], { point: "output" });
    expect(maskSpans(text, verdict!.findings)).toBe("write to [EMAIL] please");
  });

  it("leaves invisible characters around an address outside it, and does not join two words into one", async () => {
    expect(await found("mail \u200bbob@example.com\u200b now")).toEqual([["email", "bob@example.com"]]);
    expect(await found("hello \u200b@example.com")).toEqual([]);
  });

  it("reads numbers without a country code in the configured region", async () => {
    expect(await found("Ruf an: 030 901820", { phoneRegion: "DE" })).toEqual([["phone", "030 901820"]]);
    expect(await found("Ruf an: 030 901820")).toEqual([]);
    expect(await found("電話 03-1234-5678", { phoneRegion: "jp" })).toEqual([["phone", "03-1234-5678"]]);
    // Dates are valid numbers in some regions' plans; they are never taken.
    expect(await found("am 2024-11-27 und 27.11.2024", { phoneRegion: "DE" })).toEqual([]);
  });

  it("finds several types in one text, each once, in text order", async () => {
    const text = "Mail a@b.co, call +1 415 555 2671, card 4242424242424242, from 8.8.8.8.";
    expect(await found(text)).toEqual([
      ["email", "a@b.co"],
      ["phone", "+1 415 555 2671"],
      ["card", "4242424242424242"],
      ["ip", "8.8.8.8"],
    ]);
  });

  it("keeps one type where two overlap: a card is not also a phone number", async () => {
    expect(await found("4111111111111111")).toEqual([["card", "4111111111111111"]]);
    expect(await found("4111111111111111", { types: ["phone"] })).toEqual([]);
    expect(await found("13800138000", { types: ["phone"], phoneRegion: "CN" })).toEqual([["phone", "13800138000"]]);
    expect(await found("13800138000", { phoneRegion: "CN" })).toEqual([["cn-mobile", "13800138000"]]);
  });

  it("turns each type on or off", async () => {
    const text = "a@b.co, 4111111111111111, 123-45-6789";
    expect(await found(text, { types: ["card"] })).toEqual([["card", "4111111111111111"]]);
    expect(await found(text, { types: ["email", "us-ssn"] })).toEqual([
      ["email", "a@b.co"],
      ["us-ssn", "123-45-6789"],
    ]);
  });

  it("labels findings for label masks, or leaves them to the policy's mask character", async () => {
    const text = "write to bob@example.com or call (415) 555-2671";
    const [labelled] = await engine.moderate([text], { point: "output" });
    expect(labelled!.categories.sort()).toEqual(["pii.email", "pii.phone"]);
    expect(labelled!.rules?.sort()).toEqual(["email", "phone"]);
    expect(labelled!.findings.map((finding) => finding.category)).toEqual(["pii.email", "pii.phone"]);
    expect(maskSpans(text, labelled!.findings)).toBe("write to [EMAIL] or call [PHONE]");
    const [starred] = await createPiiEngine({ maskStyle: "stars" }).moderate([text], { point: "output" });
    expect(maskSpans(text, starred!.findings)).toBe("write to *************** or call **************");
  });

  it("passes empty and PII-free texts", async () => {
    const verdicts = await engine.moderate(["", "Just a normal question about 3 apples."], { point: "input" });
    expect(verdicts).toEqual([
      { flagged: false, findings: [], categories: [] },
      { flagged: false, findings: [], categories: [] },
    ]);
  });

  it("refuses unknown types, mask styles and regions at construction, naming them", () => {
    const error = (options: object) => thrownBy(() => createPiiEngine(options));
    expect(error({ types: ["email", "passport"] })).toMatchObject({
      option: "types",
      message: expect.stringMatching(/unknown type #2 "passport"; expected any of private-key, /),
    });
    expect(error({ types: [] })).toMatchObject({ option: "types" });
    expect(error({ maskStyle: "hash" })).toMatchObject({ option: "maskStyle" });
    expect(error({ phoneRegion: "XX" })).toBeInstanceOf(PiiOptionError);
    expect(error({ phoneRegion: "XX" })).toMatchObject({ option: "phoneRegion", message: /unknown phone region "XX"/ });
  });
});
