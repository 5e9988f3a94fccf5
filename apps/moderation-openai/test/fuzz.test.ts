import { fileURLToPath } from "node:url";
import { fuzzAppSuite } from "@dify-ext/test-support/app-suite";
import { INPUT_BLOCKED } from "@dify-ext/test-support/replies";
import { startFakeOpenAI } from "@dify-ext/test-support/fake-openai";
import { expect } from "vitest";

const OPENAI_KEY = "sk-fuzz-secret-8d3e1a";

fuzzAppSuite({
  title: "moderation-openai under hostile input, against a fake OpenAI",
  name: "moderation-openai",
  appDir: fileURLToPath(new URL("..", import.meta.url)),
  runs: 3000,
  upstream: () => startFakeOpenAI({ apiKey: OPENAI_KEY }),
  env: (fake) => ({
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: fake.url,
    OPENAI_TIMEOUT_MS: "2000",
    MODERATION_INPUT_ACTION: "mask",
    MODERATION_OUTPUT_ACTION: "mask",
  }),
  upstreamRequests: (fake) => fake.calls.length,
  afterRun: (_report, fake) => {
    // Hostile texts really went upstream, and the fake never saw a malformed request from the engine.
    expect(fake.calls.every((call) => call.path === "/v1/moderations" && call.inputs.length > 0)).toBe(true);
  },
  // OpenAI judges whole texts: a flagged text cannot be masked, so the call is blocked.
  afterStorm: { params: { app_id: "a", inputs: { n: 1, note: "I am VIOLENT" }, query: "hi" }, reply: INPUT_BLOCKED },
});
