import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { difyCall } from "@dify-ext/test-support/app-process";
import { startAppForSuite } from "@dify-ext/test-support/app-suite";
import { difyClient, expectKeyRefused, streamedCalls } from "@dify-ext/test-support/dify";
import { INPUT_BLOCKED, OUTPUT_BLOCKED, OUTPUT_PRESET, PASS } from "@dify-ext/test-support/replies";
import { GENEROUS_TIMEOUT_MS } from "@dify-ext/test-support/budget";
import { type FakeGuard, startFakeGuard } from "@dify-ext/test-support/fake-guard";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import type { Transport } from "@dify-ext/test-support/worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

/**
 * The composite app's end-to-end cases (each engine alone and combined, a fake OpenAI on loopback,
 * a custom keyword list), run against every transport (the Node process and the Worker in
 * workerd): one suite, two transports. KEYWORDS_FILES is read at start-up under Node and at build
 * time for the Worker; the Worker transport builds once per list.
 */
export const KEY = "e2e-key-0123456789";
export const OPENAI_KEY = "sk-e2e-composite-7c2d9e";
/** Starting an app (a Worker build included) can take a minute and more on a loaded machine. */
const START_MS = 180_000;

// Caught by one engine only: a Chinese term of the keyword sample list (obscenity is English only),
// leetspeak (the keyword engine does not fold it), and a marker only the fake OpenAI flags.
const KEYWORDS_ONLY = "你是个傻逼吧";
const OBSCENITY_ONLY = "you b1tch";
const OPENAI_ONLY = "I am VIOLENT";

export const { call, input, output, expectBadJson, expectPong, expectModerationPointsOnly } = difyClient(KEY);

/**
 * The engines the app says it runs, from its "moderation engines ready" log line (a Worker builds
 * its engines on its first request, so this sends a ping first).
 */
export async function enginesOf(app: { receiveUrl: string; output: string[] }): Promise<unknown> {
  expect((await difyCall(app.receiveUrl, KEY, "ping", {})).status).toBe(200);
  const ready = () => app.output.find((line) => line.includes('"moderation engines ready"'));
  await expect.poll(ready, { timeout: 10_000 }).toBeDefined();
  return (JSON.parse(ready()!) as { engines?: unknown }).engines;
}

/** Every shared case, each group on its own instance of the app started through `transport`. */
export function moderationCases(transport: Transport): void {
  describe(`moderation (composite) against a fake OpenAI (${transport.name})`, () => {
    let fake: FakeOpenAI;
    let dir: string;
    let listFile: string;
    beforeAll(async () => {
      fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
      dir = await mkdtemp(join(tmpdir(), "moderation-e2e-"));
      listFile = join(dir, "team.txt");
      await writeFile(listFile, "# team list\nblorptastic\n傻逼\n");
    });
    beforeEach(() => fake.reset());
    afterAll(async () => {
      await fake?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const openaiEnv = () => ({
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: fake.url,
      // Long enough for a loaded machine (300 ms timed out at load average 20+ and failed open), short
      // enough that the hang case below waits it out quickly.
      OPENAI_TIMEOUT_MS: "2000",
      OPENAI_MAX_RETRIES: "0",
    });

    describe(`moderation (composite) with no MODERATION_ENGINES (${transport.name})`, () => {
      const app = startAppForSuite(transport, { API_KEYS: KEY });

      it("runs keywords and obscenity (the engines that need no account)", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "obscenity"]);
        await expectPong(app);
        expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      });

      it("blocks what either engine catches, and passes clean text", async () => {
        expect(await input(app, KEYWORDS_ONLY)).toEqual(INPUT_BLOCKED);
        expect(await input(app, OBSCENITY_ONLY)).toEqual(INPUT_BLOCKED);
        expect(await input(app, "What is a class?", { topic: "classic assignments" })).toEqual(PASS);
        expect(await output(app, "a perfectly polite answer")).toEqual(PASS);
      });

      it("rejects a wrong key with 401 and a malformed call with 400", async () => {
        await expectKeyRefused(app, "wrong-key-00000");
        await expectBadJson(app);
        await expectModerationPointsOnly(app);
      });

      it("judges every call of a growing output text on its whole text, and never flags its own preset", async () => {
        const answer = `${"Here is a long and perfectly polite answer. ".repeat(8)}Then it says 傻逼, and ${"goes on politely. ".repeat(20)}`;
        const at = answer.indexOf("傻逼");
        const calls = streamedCalls(answer);
        expect(calls.some((text) => text.length < at + 2)).toBe(true);
        for (const text of calls)
          expect(await output(app, text), `prefix of ${text.length}`).toEqual(
            text.length < at + 2 ? PASS : OUTPUT_BLOCKED,
          );
        expect(await output(app, OUTPUT_PRESET)).toEqual(PASS);
      });
    });

    describe(`moderation (composite), each engine alone (${transport.name})`, () => {
      // Each engine blocks what only it catches and passes the others' texts.
      const alone = [
        { engine: "keywords", env: () => ({}), blocked: KEYWORDS_ONLY, passed: [OBSCENITY_ONLY, OPENAI_ONLY] },
        { engine: "obscenity", env: () => ({}), blocked: OBSCENITY_ONLY, passed: [KEYWORDS_ONLY, OPENAI_ONLY] },
        { engine: "openai", env: openaiEnv, blocked: OPENAI_ONLY, passed: [OBSCENITY_ONLY], openaiCalls: 2 },
      ];
      for (const { engine, env, blocked, passed, openaiCalls } of alone) {
        it(
          `${engine} only`,
          async () => {
            const app = await transport.start({ API_KEYS: KEY, MODERATION_ENGINES: engine, ...env() });
            try {
              expect(await enginesOf(app)).toEqual([engine]);
              expect(await input(app, blocked)).toEqual(INPUT_BLOCKED);
              for (const text of passed) expect(await input(app, text)).toEqual(PASS);
              if (openaiCalls !== undefined) expect(fake.calls).toHaveLength(openaiCalls);
            } finally {
              await app.stop();
            }
          },
          START_MS,
        );
      }
    });

    describe(`moderation (composite), keywords + obscenity, masking (${transport.name})`, () => {
      const app = startAppForSuite(transport, () => ({
        API_KEYS: KEY,
        MODERATION_ENGINES: "obscenity,keywords",
        KEYWORDS_FILES: listFile,
        MODERATION_INPUT_ACTION: "mask",
        MODERATION_OUTPUT_ACTION: "mask",
      }));

      it("runs the engines cheapest first, whatever order MODERATION_ENGINES lists", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "obscenity"]);
      });

      it("merges the masks of both engines in one reply", async () => {
        const inputs = {
          note: "a blorptastic sh1t",
          n: 7,
          file: { type: "image", url: "https://example.com/blorptastic.png" },
        };
        expect(await input(app, "you blorptastic b1tch, 傻逼", inputs)).toEqual({
          flagged: true,
          action: "overridden",
          inputs: { ...inputs, note: "a *********** ****" },
          query: "you *********** *****, **",
        });
        expect(await output(app, "Blorptastic! What the fuuuck.")).toEqual({
          flagged: true,
          action: "overridden",
          text: "***********! What the ******.",
        });
      });

      it("masks overlapping findings of both engines once (both catch 'shit')", async () => {
        expect(await output(app, "oh shit")).toEqual({ flagged: true, action: "overridden", text: "oh ****" });
      });
    });

    describe(`moderation (composite), keywords + obscenity + pii, masking (${transport.name})`, () => {
      const app = startAppForSuite(transport, () => ({
        API_KEYS: KEY,
        MODERATION_ENGINES: "pii,obscenity,keywords",
        KEYWORDS_FILES: listFile,
        MODERATION_INPUT_ACTION: "mask",
        MODERATION_OUTPUT_ACTION: "mask",
      }));

      it("runs pii after the list engines", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "obscenity", "pii"]);
      });

      it("merges pii's label masks with the other engines' star masks, a label covering what it overlaps", async () => {
        expect(await input(app, "you b1tch, mail blorptastic@example.com or call +44 20 7946 0958")).toEqual({
          flagged: true,
          action: "overridden",
          inputs: {},
          query: "you *****, mail [EMAIL] or call [PHONE]",
        });
        expect(await output(app, "Card 4111 1111 1111 1111, what the fuuuck.")).toEqual({
          flagged: true,
          action: "overridden",
          text: "Card [CARD], what the ******.",
        });
      });
    });

    describe(`moderation (composite), keywords + openai (${transport.name})`, () => {
      const app = startAppForSuite(transport, () => ({
        API_KEYS: KEY,
        MODERATION_ENGINES: "openai, keywords",
        KEYWORDS_FILES: listFile,
        MODERATION_INPUT_ACTION: "block",
        MODERATION_OUTPUT_ACTION: "mask",
        ...openaiEnv(),
      }));

      it("runs keywords before openai", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "openai"]);
      });

      it("with the block action, a keyword hit blocks without calling OpenAI", async () => {
        expect(await input(app, "a blorptastic question", { note: "I am VIOLENT" })).toEqual(INPUT_BLOCKED);
        expect(fake.calls).toHaveLength(0);
      });

      it("asks OpenAI, in one request, when the keywords find nothing", async () => {
        expect(await input(app, "a clean question", { note: "I am VIOLENT" })).toEqual(INPUT_BLOCKED);
        expect(await input(app, "another clean question", { note: "a clean note" })).toEqual(PASS);
        expect(fake.calls.map((c) => [...c.inputs].sort())).toEqual([
          ["I am VIOLENT", "a clean question"],
          ["a clean note", "another clean question"],
        ]);
      });

      it("with the mask action, masks keyword hits after OpenAI found nothing", async () => {
        expect(await output(app, "a blorptastic answer")).toEqual({
          flagged: true,
          action: "overridden",
          text: "a *********** answer",
        });
        expect(fake.calls).toHaveLength(1);
      });

      it("with the mask action, blocks when OpenAI flags: its verdicts have nothing to mask", async () => {
        expect(await output(app, "a blorptastic and VIOLENT answer")).toEqual(OUTPUT_BLOCKED);
        expect(await output(app, "a VIOLENT answer")).toEqual(OUTPUT_BLOCKED);
      });

      it("keeps the keyword engine's verdicts when OpenAI fails (failure policy open)", async () => {
        fake.script(() => ({ type: "error", status: 500 }));
        expect(await output(app, "a blorptastic answer during an outage")).toEqual({
          flagged: true,
          action: "overridden",
          text: "a *********** answer during an outage",
        });
        expect(await output(app, "a VIOLENT answer during an outage")).toEqual(PASS);
        expect(await input(app, "a VIOLENT question during an outage")).toEqual(PASS);
      });
    });

    describe(`moderation (composite), keywords + guard (${transport.name})`, () => {
      let guard: FakeGuard;
      beforeAll(async () => {
        guard = await startFakeGuard();
      });
      afterAll(() => guard?.close());
      const app = startAppForSuite(transport, () => ({
        API_KEYS: KEY,
        MODERATION_ENGINES: "guard,keywords",
        KEYWORDS_FILES: listFile,
        GUARD_BASE_URL: guard.url,
        GUARD_MODEL: "llama-guard3:8b",
        // The fake model answers in time however busy the machine; no case here waits for the timeout.
        GUARD_TIMEOUT_MS: String(GENEROUS_TIMEOUT_MS),
        GUARD_MAX_RETRIES: "0",
      }));
      beforeEach(() => guard.reset());

      it("runs keywords first: a keyword hit blocks without asking the guard model", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "guard"]);
        expect(await input(app, "a blorptastic question", { note: "I am VIOLENT" })).toEqual(INPUT_BLOCKED);
        expect(guard.calls).toHaveLength(0);
      });

      it("asks the guard model, one request per text, when the keywords find nothing", async () => {
        expect(await input(app, "a clean question", { note: "I am VIOLENT" })).toEqual(INPUT_BLOCKED);
        expect(guard.calls.map((c) => c.judged).sort()).toEqual(["I am VIOLENT", "a clean question"]);
        expect(await output(app, "an answer that is VIOLENT")).toEqual(OUTPUT_BLOCKED);
        expect(await output(app, "a calm answer")).toEqual(PASS);
      });
    });

    describe(`moderation (composite), all three engines failing closed (${transport.name})`, () => {
      const app = startAppForSuite(transport, () => ({
        API_KEYS: KEY,
        MODERATION_ENGINES: "keywords,obscenity,openai",
        MODERATION_INPUT_ON_ERROR: "closed",
        ...openaiEnv(),
      }));

      it("blocks input while OpenAI is down, and lets output through (its policy is still open)", async () => {
        expect(await enginesOf(app)).toEqual(["keywords", "obscenity", "openai"]);
        fake.script(() => ({ type: "hang" }));
        expect(await input(app, "a clean question while OpenAI hangs")).toEqual(INPUT_BLOCKED);
        expect(await output(app, "a clean answer while OpenAI hangs")).toEqual(PASS);
        fake.reset();
        expect(await input(app, "a clean question once OpenAI is back")).toEqual(PASS);
      });

      it("blocks local hits without asking OpenAI", async () => {
        expect(await input(app, OBSCENITY_ONLY)).toEqual(INPUT_BLOCKED);
        expect(await input(app, KEYWORDS_ONLY)).toEqual(INPUT_BLOCKED);
        expect(fake.calls).toHaveLength(0);
      });
    });
  });
}
