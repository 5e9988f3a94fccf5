import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { difyReplyProblems } from "@dify-ext/protocol";
import { type AppProcess, difyCall, startAppProcess } from "@dify-ext/test-support/app-process";
import { type FakeOpenAI, startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const KEY = "e2e-key-0123456789";
const OPENAI_KEY = "sk-e2e-composite-7c2d9e";
const INPUT_PRESET = "Sorry, your message was blocked by content moderation.";
const OUTPUT_PRESET = "Sorry, this answer was withheld by content moderation.";

const PASS = { flagged: false, action: "direct_output" };
const INPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: INPUT_PRESET };
const OUTPUT_BLOCKED = { flagged: true, action: "direct_output", preset_response: OUTPUT_PRESET };

// Caught by one engine only: a Chinese term of the keyword sample list (obscenity is English only),
// leetspeak (the keyword engine does not fold it), and a marker only the fake OpenAI flags.
const KEYWORDS_ONLY = "你是个傻逼吧";
const OBSCENITY_ONLY = "you b1tch";
const OPENAI_ONLY = "I am VIOLENT";

type Point = Parameters<typeof difyReplyProblems>[0];

async function call(app: AppProcess, point: Point, params: unknown): Promise<Record<string, unknown>> {
  const response = await difyCall(app.receiveUrl, KEY, point, params);
  expect(response.status).toBe(200);
  const body = await response.json();
  expect(difyReplyProblems(point, body, params)).toEqual([]);
  return body as Record<string, unknown>;
}

const input = (app: AppProcess, query: string, inputs: Record<string, unknown> = {}) =>
  call(app, "app.moderation.input", { app_id: "app", inputs, query });
const output = (app: AppProcess, text: string) => call(app, "app.moderation.output", { app_id: "app", text });

/** The engines the app says it runs, from its start-up log line. */
function enginesOf(app: AppProcess): unknown {
  for (const line of app.output) {
    if (!line.includes('"moderation engines ready"')) continue;
    return (JSON.parse(line) as { engines?: unknown }).engines;
  }
  return undefined;
}

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
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const openaiEnv = () => ({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: fake.url, OPENAI_TIMEOUT_MS: "300", OPENAI_MAX_RETRIES: "0" });

describe("moderation (composite) with no MODERATION_ENGINES", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY } });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("runs keywords and obscenity (the engines that need no account)", async () => {
    expect(enginesOf(app)).toEqual(["keywords", "obscenity"]);
    expect(await difyCall(app.receiveUrl, KEY, "ping", {}).then((r) => r.text())).toBe('{"result":"pong"}');
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  });

  it("blocks what either engine catches, and passes clean text", async () => {
    expect(await input(app, KEYWORDS_ONLY)).toEqual(INPUT_BLOCKED);
    expect(await input(app, OBSCENITY_ONLY)).toEqual(INPUT_BLOCKED);
    expect(await input(app, "What is a class?", { topic: "classic assignments" })).toEqual(PASS);
    expect(await output(app, "a perfectly polite answer")).toEqual(PASS);
  });
});

describe("moderation (composite), each engine alone", () => {
  it("keywords only", async () => {
    const app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_ENGINES: "keywords" } });
    try {
      expect(enginesOf(app)).toEqual(["keywords"]);
      expect(await input(app, KEYWORDS_ONLY)).toEqual(INPUT_BLOCKED);
      expect(await input(app, OBSCENITY_ONLY)).toEqual(PASS);
      expect(await input(app, OPENAI_ONLY)).toEqual(PASS);
    } finally {
      await app.stop();
    }
  });

  it("obscenity only", async () => {
    const app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_ENGINES: "obscenity" } });
    try {
      expect(enginesOf(app)).toEqual(["obscenity"]);
      expect(await input(app, OBSCENITY_ONLY)).toEqual(INPUT_BLOCKED);
      expect(await input(app, KEYWORDS_ONLY)).toEqual(PASS);
      expect(await input(app, OPENAI_ONLY)).toEqual(PASS);
    } finally {
      await app.stop();
    }
  });

  it("openai only", async () => {
    const app = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_ENGINES: "openai", ...openaiEnv() } });
    try {
      expect(enginesOf(app)).toEqual(["openai"]);
      expect(await input(app, OPENAI_ONLY)).toEqual(INPUT_BLOCKED);
      expect(await input(app, OBSCENITY_ONLY)).toEqual(PASS);
      expect(fake.calls).toHaveLength(2);
    } finally {
      await app.stop();
    }
  });
});

describe("moderation (composite), keywords + obscenity, masking", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, MODERATION_ENGINES: "obscenity,keywords", KEYWORDS_FILES: listFile, MODERATION_INPUT_ACTION: "mask", MODERATION_OUTPUT_ACTION: "mask" },
    });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("runs the engines cheapest first, whatever order MODERATION_ENGINES lists", () => {
    expect(enginesOf(app)).toEqual(["keywords", "obscenity"]);
  });

  it("merges the masks of both engines in one reply", async () => {
    const inputs = { note: "a blorptastic sh1t", n: 7, file: { type: "image", url: "https://example.com/blorptastic.png" } };
    expect(await input(app, "you blorptastic b1tch, 傻逼", inputs)).toEqual({
      flagged: true,
      action: "overridden",
      inputs: { ...inputs, note: "a *********** ****" },
      query: "you *********** *****, **",
    });
    expect(await output(app, "Blorptastic! What the fuuuck.")).toEqual({ flagged: true, action: "overridden", text: "***********! What the ******." });
  });

  it("masks overlapping findings of both engines once (both catch 'shit')", async () => {
    expect(await output(app, "oh shit")).toEqual({ flagged: true, action: "overridden", text: "oh ****" });
  });
});

describe("moderation (composite), keywords + openai", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({
      cwd: appDir,
      env: {
        API_KEYS: KEY,
        MODERATION_ENGINES: "openai, keywords",
        KEYWORDS_FILES: listFile,
        MODERATION_INPUT_ACTION: "block",
        MODERATION_OUTPUT_ACTION: "mask",
        ...openaiEnv(),
      },
    });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("runs keywords before openai", () => {
    expect(enginesOf(app)).toEqual(["keywords", "openai"]);
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
    expect(await output(app, "a blorptastic answer")).toEqual({ flagged: true, action: "overridden", text: "a *********** answer" });
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

describe("moderation (composite), all three engines failing closed", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await startAppProcess({
      cwd: appDir,
      env: { API_KEYS: KEY, MODERATION_ENGINES: "keywords,obscenity,openai", MODERATION_INPUT_ON_ERROR: "closed", ...openaiEnv() },
    });
  });
  afterAll(async () => {
    expect(await app.stop()).toBe(0);
  });

  it("blocks input while OpenAI is down, and lets output through (its policy is still open)", async () => {
    expect(enginesOf(app)).toEqual(["keywords", "obscenity", "openai"]);
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

describe("moderation (composite) start-up checks", () => {
  it("refuses an unknown engine, naming MODERATION_ENGINES and the valid names", async () => {
    const error = await startAppProcess({ cwd: appDir, env: { API_KEYS: KEY, MODERATION_ENGINES: "keywords,perspective" } }).catch((e: Error) => e);
    expect(String(error)).toMatch(/exited with code 1/);
    expect(String(error)).toContain('MODERATION_ENGINES: unknown engine \\"perspective\\"; expected any of keywords, obscenity, openai');
  });

  it("requires OPENAI_API_KEY in production only when openai is among the engines", async () => {
    const error = await startAppProcess({
      cwd: appDir,
      env: { NODE_ENV: "production", API_KEYS: KEY, MODERATION_ENGINES: "keywords,openai" },
    }).catch((e: Error) => e);
    expect(String(error)).toContain("OPENAI_API_KEY: required by the openai engine with NODE_ENV=production");
    const app = await startAppProcess({ cwd: appDir, env: { NODE_ENV: "production", API_KEYS: KEY, MODERATION_ENGINES: "keywords" } });
    expect(enginesOf(app)).toEqual(["keywords"]);
    expect(await app.stop()).toBe(0);
  });
});
